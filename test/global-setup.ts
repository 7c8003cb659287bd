/// <reference path="./provided-context.d.ts" />
import type { TestProject } from 'vitest/node'
import { type KafkaCluster, startKafka } from '@kafkit/testkit'

let cluster: KafkaCluster | undefined

/** Starts one Kafka (3.9.2, ZooKeeper mode: the defaults) + schema registry for the whole integration run. */
export async function setup(project: TestProject): Promise<void> {
  cluster = await startKafka({ schemaRegistry: true })
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
