// Contract: the containers backend runs a real Kafka (ZooKeeper or KRaft, 1 or 3 brokers) and a Confluent-compatible registry as containers that plain kafkajs and HTTP clients reach from the host, survives a broker crash, and stop() leaves no container or network behind.
import { basename } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { getContainerRuntimeClient } from 'testcontainers'
import { afterEach, describe, expect, it } from 'vitest'
import { type KafkaCluster, startKafka, uniqueName } from '@kafkit/testkit'
import { propertyToEnv } from '../../src/internal/containers/backend.js'
import { podmanServicePaths } from '../../src/internal/containers/engine.js'
import { crashAndRejoin, produceAndConsume, registerAndFetchSchema } from './rig-checks.js'

const enabled = process.env['KAFKIT_BACKEND'] === 'containers'
/** The locally built images (as images.ts picks them): the only set with Kafka 4.x. */
const kafkitImages =
  process.env['KAFKIT_IMAGES'] === 'kafkit' || (process.env['KAFKIT_IMAGES'] === undefined && process.env['DOCKER_HOST'] === `unix://${podmanServicePaths().socket}`)
const kafka4Version = process.env['KAFKIT_KAFKA4_VERSION'] || '4.1.2'
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

  it.runIf(kafkitImages)(`runs Kafka ${kafka4Version} (KRaft) from locally built images of that release`, async () => {
    const cluster = await start({ kafkaVersion: kafka4Version })
    expect(cluster).toMatchObject({ backend: 'containers', mode: 'kraft', kafkaVersion: kafka4Version, zookeeper: undefined })
    expect(await produceAndConsume(cluster.brokers, 3)).toEqual(['m0', 'm1', 'm2'])
    // The image is the release's own: its broker logs that version, through log4j2.
    const { readFileSync } = await import('node:fs')
    expect(readFileSync(`${cluster.logDir}/kafka-0.log`, 'utf8')).toContain(`Kafka version: ${kafka4Version}`)
  }, 240_000)

  it('keeps a replication-factor-3 topic writable with one of three brokers crashed, and the broker rejoins', async () => {
    const cluster = await start({ brokers: 3 })
    const seen = await crashAndRejoin(cluster)
    expect(seen.writtenWhileDown).toBe(30)
    expect(seen.brokersAfterRestart).toEqual([0, 1, 2])
    // The restarted broker is advertised on the same address and serves clients again.
    expect(seen.restartedPort).toBe(Number(cluster.brokers[1]?.split(':')[1]))
    expect(seen.readViaRestarted).toBe(31)
  })
})
