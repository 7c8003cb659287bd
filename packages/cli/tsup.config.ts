import { defineConfig } from 'tsup'

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  {
    // The executable: ESM only (top-level await), `#!` kept from the source.
    entry: { cli: 'src/bin.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
  },
])
