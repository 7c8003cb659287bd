// Global setup of the `kafka4` vitest project: the compatibility subset of the integration
// tests (see vitest.config.ts) against Kafka 4.x in KRaft mode, the only mode 4.x has.
// The JVM backend, whatever KAFKIT_BACKEND says: it needs no container engine, and the
// confluent image set (Docker) has no Kafka 4.x. KAFKIT_KAFKA4_VERSION picks another 4.x.
import { clusterGlobalSetup } from './cluster-setup.js'

export const { setup, teardown } = clusterGlobalSetup({
  kafkaVersion: process.env['KAFKIT_KAFKA4_VERSION'] || '4.1.2',
  mode: 'kraft',
  schemaRegistry: true,
  backend: 'jvm',
})
