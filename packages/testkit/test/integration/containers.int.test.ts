// Contract: the containers backend runs a real Kafka (ZooKeeper or KRaft, 1 or 3 brokers) and a Confluent-compatible registry as containers that plain kafkajs and HTTP clients reach from the host, survives a broker crash, and stop() leaves no container or network behind.
import { basename } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { getContainerRuntimeClient } from 'testcontainers'
import { afterEach, describe, expect, it } from 'vitest'
import { type KafkaCluster, startKafka, uniqueName } from '@kafkit/testkit'
import { propertyToEnv } from '../../src/internal/containers/backend.js'
import { produceAndConsume, registerAndFetchSchema } from './rig-checks.js'

const enabled = process.env['KAFKIT_BACKEND'] === 'containers'
const lines: string[] = []
const started: KafkaCluster[] = []

async function start(options: Parameters<typeof startKafka>[0]): Promise<KafkaCluster> {
  const cluster = await startKafka({ backend: 'containers', log: (line) => lines.push(line), ...options })
  started.push(cluster)
  process.stderr.write(`containers backend: ${JSON.stringify(options)} ready in ${cluster.startupMs} ms\n`)
  return cluster
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((cluster) => cluster.stop()))
})

/** Ids and networks of the containers of `cluster` (labelled with its run id, which names its log dir). */
async function containersOf(cluster: KafkaCluster): Promise<{ ids: string[]; networks: string[] }> {
  const runId = /^kafkit-containers-([0-9a-f]+)-/.exec(basename(cluster.logDir))?.[1]
  expect(runId).toBeDefined()
  const client = await getContainerRuntimeClient()
  const listed = await client.container.dockerode.listContainers({ all: true, filters: { label: [`dev.kafkit.cluster=${runId}`] } })
  const networks = new Set<string>()
  for (const info of listed) Object.keys(info.NetworkSettings?.Networks ?? {}).forEach((name) => networks.add(name))
  return { ids: listed.map((info) => info.Id), networks: [...networks] }
}

/** Reads `topic` from the beginning in a fresh group until `count` messages arrived. */
async function consumeCount(kafka: Kafka, topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: uniqueName('containers-group'), retry: { retries: 15, maxRetryTime: 5000 } })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  let seen = 0
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen} of ${count} messages in 90 s`)), 90_000)
      consumer
        .run({
          eachMessage: async () => {
            seen++
            if (seen === count) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return seen
}

describe('broker property names in the Confluent env-var convention', () => {
  it('escapes dots, underscores and dashes the way cp-kafka reads them back', () => {
    expect(propertyToEnv('num.partitions')).toBe('KAFKA_NUM_PARTITIONS')
    expect(propertyToEnv('log.retention_check.interval-ms')).toBe('KAFKA_LOG_RETENTION__CHECK_INTERVAL___MS')
  })
})

describe.runIf(enabled)('containers backend', () => {
  it('runs ZooKeeper + a broker + the registry: kafkajs round trip, schema stored and returned, and stop() removes everything', async () => {
    const cluster = await start({ mode: 'zookeeper', schemaRegistry: true, brokerConfig: { 'num.partitions': '2' } })
    expect(cluster.backend).toBe('containers')
    expect(cluster.brokers).toHaveLength(1)
    expect(cluster.zookeeper).toMatch(/^[\w.-]+:\d+$/)
    const before = await containersOf(cluster)
    expect(before.ids).toHaveLength(3)

    expect(await produceAndConsume(cluster.brokers, 5)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])

    // brokerConfig reached server.properties: an auto-created topic gets 2 partitions.
    const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ allowAutoTopicCreation: true })
    await producer.connect()
    const autoTopic = uniqueName('auto')
    await producer.send({ topic: autoTopic, messages: [{ value: 'x' }] })
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    const metadata = await admin.fetchTopicMetadata({ topics: [autoTopic] })
    await admin.disconnect()
    expect(metadata.topics[0]?.partitions).toHaveLength(2)

    const { id, registered, returned } = await registerAndFetchSchema(cluster.schemaRegistryUrl as string, 'ContainersRig')
    expect(id).toBeGreaterThan(0)
    expect(returned).toEqual(registered)

    await cluster.stop()
    await cluster.stop() // idempotent
    const after = await containersOf(cluster)
    expect(after.ids).toEqual([])
    const client = await getContainerRuntimeClient()
    const networks = (await client.container.dockerode.listNetworks()).map((network) => network.Name)
    for (const name of before.networks) expect(networks).not.toContain(name)
  })

  it('starts in KRaft mode without ZooKeeper and serves', async () => {
    const cluster = await start({ mode: 'kraft' })
    expect(cluster.mode).toBe('kraft')
    expect(cluster.zookeeper).toBeUndefined()
    expect((await containersOf(cluster)).ids).toHaveLength(1)
    expect(await produceAndConsume(cluster.brokers, 3)).toEqual(['m0', 'm1', 'm2'])
  })

  it('keeps a replication-factor-3 topic writable with one of three brokers crashed, and the broker rejoins', async () => {
    const cluster = await start({ brokers: 3 })
    expect(cluster.brokers).toHaveLength(3)
    const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, retry: { retries: 15, maxRetryTime: 5000 } })
    const admin = kafka.admin()
    await admin.connect()
    const topic = uniqueName('rf3')
    await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      waitForLeaders: true,
    })
    await admin.disconnect()

    let t = Date.now()
    await cluster.stopBroker(1)
    process.stderr.write(`containers backend: stopBroker(1) took ${Date.now() - t} ms\n`)
    const survivors = new Kafka({ brokers: [cluster.brokers[0], cluster.brokers[2]] as string[], logLevel: logLevel.NOTHING })
    const producer = survivors.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 15, maxRetryTime: 5000 } })
    await producer.connect()
    // acks=all with min.insync.replicas=2 succeeds only because two replicas still serve.
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
    const survivorAdmin = survivors.admin()
    await survivorAdmin.connect()
    const offsets = await survivorAdmin.fetchTopicOffsets(topic)
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(30)

    t = Date.now()
    await cluster.startBroker(1)
    process.stderr.write(`containers backend: startBroker(1) took ${Date.now() - t} ms\n`)
    const described = await survivorAdmin.describeCluster()
    expect(described.brokers.map((broker) => broker.nodeId).sort()).toEqual([0, 1, 2])
    // The restarted broker is advertised on the same address and serves clients again.
    expect(described.brokers.find((broker) => broker.nodeId === 1)?.port).toBe(Number(cluster.brokers[1]?.split(':')[1]))
    await survivorAdmin.disconnect()
    await producer.send({ topic, acks: -1, messages: [{ key: 'after', value: 'rejoined' }] })
    await producer.disconnect()
    // A client that knows only the restarted broker bootstraps from it and reads everything.
    // Generous retries: the group coordinator may be loading its partition right after the rejoin.
    const viaRestarted = new Kafka({ brokers: [cluster.brokers[1] as string], logLevel: logLevel.NOTHING, retry: { retries: 15, maxRetryTime: 5000 } })
    const consumed = await consumeCount(viaRestarted, topic, 31).catch((error: unknown) => {
      // One more try if the coordinator was still loading when the consumer gave up.
      if ((error as { retriable?: boolean }).retriable) return consumeCount(viaRestarted, topic, 31)
      throw error
    })
    expect(consumed).toBe(31)
  })
})
