/// <reference path="./provided-context.d.ts" />
// Global setup of the `kafka4` vitest project: the compatibility subset of the integration
// tests (see vitest.config.ts) against Kafka 4.x in KRaft mode, the only mode 4.x has.
// The JVM backend, whatever KAFKIT_BACKEND says: it needs no container engine, and the
// confluent image set (Docker) has no Kafka 4.x. KAFKIT_KAFKA4_VERSION picks another 4.x.
import type { TestProject } from 'vitest/node'
import { type KafkaCluster, startKafka } from '@kafkit/testkit'

let cluster: KafkaCluster | undefined

export async function setup(project: TestProject): Promise<void> {
  const kafkaVersion = process.env['KAFKIT_KAFKA4_VERSION'] || '4.1.2'
  cluster = await startKafka({ kafkaVersion, mode: 'kraft', schemaRegistry: true, backend: 'jvm' })
  project.provide('kafka', {
    bootstrapServers: cluster.bootstrapServers,
    brokers: cluster.brokers,
    schemaRegistryUrl: cluster.schemaRegistryUrl as string,
    backend: cluster.backend,
    mode: cluster.mode,
    kafkaVersion: cluster.kafkaVersion,
  })
}

export async function teardown(): Promise<void> {
  await cluster?.stop()
}
