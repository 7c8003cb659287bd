import { defineConfig, type Options } from 'tsup'

/** How every package builds its library entry: ESM and CommonJS with type declarations, for Node 20. */
export const libraryBuild: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
}

export default defineConfig(libraryBuild)
