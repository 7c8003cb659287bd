// The one declaration of what test/global-setup.ts (and test/global-setup-kafka4.ts) provide
// to the integration tests: `inject('kafka')` anywhere in the repository. Included by the root tsconfig and by each
// package's tsconfig, so `tsc` sees it wherever an integration test calls `inject`.
import 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared cluster: isolate with unique topic and group names. */
    kafka: {
      bootstrapServers: string
      brokers: string[]
      schemaRegistryUrl: string
      backend: string
      mode: string
      /** The Apache Kafka release it runs: 3.9.2 for `integration`, 4.x for `kafka4`. */
      kafkaVersion: string
    }
  }
}
