import { defineConfig } from 'vitest/config'

// Tests run against package sources: the `@kafkit/source` export condition maps each
// `@kafkit/*` import to its `src/index.ts`, so no build is needed first. No `module`
// condition: packages such as @opentelemetry/api map it to a bundler-only build (imports
// without file extensions) that Node cannot load.
const conditions = ['@kafkit/source', 'node', 'import', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@kafkit/source'] } },
  test: {
    // Two cores: running more test files at once than that only makes brokers slower.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          typecheck: {
            enabled: true,
            include: ['packages/*/test/**/*.test-d.ts'],
            tsconfig: './tsconfig.json',
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.int.test.ts', 'examples/*/test/**/*.int.test.ts', 'test/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          // One shared cluster (with registry) per run; every test isolates itself by unique names.
          globalSetup: ['./test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
        },
      },
    ],
  },
})
