/// <reference path="./provided-context.d.ts" />
// One cluster for a whole vitest project: started in its global setup, its addresses provided
// to the tests as `inject('kafka')`, stopped in its teardown. Each project's global-setup file
// picks the cluster (Kafka version, mode, backend).
import type { TestProject } from 'vitest/node'
import { type KafkaCluster, startKafka, type StartKafkaOptions } from '@kafkit/testkit'

export function clusterGlobalSetup(options: StartKafkaOptions): { setup(project: TestProject): Promise<void>; teardown(): Promise<void> } {
  let cluster: KafkaCluster | undefined
  return {
    async setup(project) {
      cluster = await startKafka(options)
      project.provide('kafka', {
        bootstrapServers: cluster.bootstrapServers,
        brokers: cluster.brokers,
        schemaRegistryUrl: cluster.schemaRegistryUrl as string,
        backend: cluster.backend,
        mode: cluster.mode,
        kafkaVersion: cluster.kafkaVersion,
      })
    },
    async teardown() {
      await cluster?.stop()
    },
  }
}
