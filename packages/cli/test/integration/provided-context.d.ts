// Types of the run's shared cluster that test/global-setup.ts provides (identical
// declaration there): `inject('kafka')` in these integration tests.
import 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: {
      bootstrapServers: string
      brokers: string[]
      schemaRegistryUrl: string
      backend: string
      mode: string
    }
  }
}
