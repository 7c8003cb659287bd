import type { TestProject } from 'vitest/node'
import { type KafkaCluster, startKafka } from '@kafkit/testkit'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared cluster: isolate with unique topic and group names. */
    kafka: {
      bootstrapServers: string
      brokers: string[]
      schemaRegistryUrl: string
      backend: string
      mode: string
    }
  }
}

let cluster: KafkaCluster | undefined

/** Starts one Kafka + ZooKeeper + schema registry for the whole integration run. */
export async function setup(project: TestProject): Promise<void> {
  cluster = await startKafka({ schemaRegistry: true })
  project.provide('kafka', {
    bootstrapServers: cluster.bootstrapServers,
    brokers: cluster.brokers,
    schemaRegistryUrl: cluster.schemaRegistryUrl as string,
    backend: cluster.backend,
    mode: cluster.mode,
  })
}

export async function teardown(): Promise<void> {
  await cluster?.stop()
}
