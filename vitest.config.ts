import { defineConfig } from 'vitest/config'

// Tests run against package sources: the `@kafkit/source` export condition maps each
// `@kafkit/*` import to its `src/index.ts`, so no build is needed first. No `module`
// condition: packages such as @opentelemetry/api map it to a bundler-only build (imports
// without file extensions) that Node cannot load.
const conditions = ['@kafkit/source', 'node', 'import', 'default']

/**
 * The integration tests that also run on Kafka 4.x (project `kafka4`): produce, transactions,
 * consumer groups, retry topics and dead letters, the pipeline, Avro, Protobuf and JSON Schema
 * with the registry.
 */
const kafka4Subset = [
  'packages/core/test/integration/producer-json.int.test.ts',
  'packages/core/test/integration/transaction.int.test.ts',
  'packages/core/test/integration/consumer-flow.int.test.ts',
  'packages/core/test/integration/consumer-retry-dlq.int.test.ts',
  'packages/core/test/integration/pipeline.int.test.ts',
  'packages/avro/test/integration/contract.int.test.ts',
  'packages/protobuf/test/integration/contract.int.test.ts',
  'packages/schema-registry/test/integration/json-contract.int.test.ts',
]

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
          // Unit tests share the 2 cores of CI with the brokers of the integration project: a
          // test that takes 1 s alone can take several then. Slow ones still set their own.
          testTimeout: 20_000,
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
      {
        extends: true,
        test: {
          // Reported as |kafka4|: the compatibility subset, on its own Kafka 4.x KRaft cluster
          // (JVM backend, 4.1.2 unless KAFKIT_KAFKA4_VERSION says otherwise) with a registry.
          // These files also run in `integration`, on 3.9 ZooKeeper. Left out: producer-failover
          // (idempotence under broker kills, minutes of run time on 3 brokers) and everything
          // that starts clusters of its own.
          name: 'kafka4',
          include: kafka4Subset,
          exclude: ['**/node_modules/**'],
          globalSetup: ['./test/global-setup-kafka4.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
        },
      },
    ],
  },
})
