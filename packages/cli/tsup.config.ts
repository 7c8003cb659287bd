import { defineConfig } from 'tsup'
import { libraryBuild } from '../../tsup.config.base.js'

export default defineConfig([
  libraryBuild,
  {
    // The executable: ESM only (top-level await), `#!` kept from the source.
    entry: { cli: 'src/bin.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
  },
])
