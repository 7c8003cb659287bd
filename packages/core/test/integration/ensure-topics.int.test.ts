// Contract: admin().ensureTopics creates missing topics with the contract's partitions, replication factor and config, reports drift (partitions, replication factor, config) on existing topics, and never alters them; admin().listTopics names the cluster's topics, sorted, without the internal `__*` ones unless asked.
import { uniqueName, waitFor } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { defineTopic, isKafkitError, Kafkit, string } from '../../src/index.js'
import { plainClient } from './read-topic.js'

const { brokers } = inject('kafka')

let kafka: Kafkit
let plain: kafkajs.Admin
beforeAll(async () => {
  kafka = new Kafkit({ clientId: 'core-ensure-test', brokers, logLevel: 'nothing' })
  plain = plainClient(brokers).admin()
  await plain.connect()
})
afterAll(async () => {
  await kafka.close()
  await plain.disconnect()
})

async function describeTopic(topic: string, configNames: string[]) {
  const metadata = await plain.fetchTopicMetadata({ topics: [topic] })
  const configs = await plain.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames }] })
  return {
    partitions: metadata.topics[0]!.partitions.length,
    replicationFactor: metadata.topics[0]!.partitions[0]!.replicas.length,
    config: Object.fromEntries(configs.resources[0]!.configEntries.map((entry) => [entry.configName, entry.configValue])),
  }
}

describe('ensureTopics', () => {
  test('creates missing topics as their contracts say, then finds them without drift', async () => {
    const config = { 'retention.ms': '3600000', 'cleanup.policy': 'compact', 'max.message.bytes': '2097152' }
    const Orders = defineTopic({ name: uniqueName('orders'), key: string(), value: string(), partitions: 4, replicationFactor: 1, config })
    const Defaults = defineTopic({ name: uniqueName('defaults'), value: string() })
    const admin = kafka.admin()

    const first = await admin.ensureTopics([Orders, Defaults, Orders])
    expect(first).toEqual({ created: [Orders.name, Defaults.name], existing: [], drift: [] })
    expect(await describeTopic(Orders.name, Object.keys(config))).toEqual({ partitions: 4, replicationFactor: 1, config })
    expect((await describeTopic(Defaults.name, [])).partitions).toBeGreaterThan(0)

    const second = await admin.ensureTopics([Orders, Defaults])
    expect(second).toEqual({ created: [], existing: [Orders.name, Defaults.name], drift: [] })
  })

  test('reports drift on an existing topic and changes nothing', async () => {
    const name = uniqueName('drifted')
    await plain.createTopics({ waitForLeaders: true, topics: [{ topic: name, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '1000' }] }] })
    const Wanted = defineTopic({
      name,
      value: string(),
      partitions: 6,
      replicationFactor: 3,
      config: { 'retention.ms': '7200000', 'cleanup.policy': 'delete', 'no.such.setting': 'x' },
    })

    const report = await kafka.admin().ensureTopics([Wanted])
    expect(report.created).toEqual([])
    expect(report.existing).toEqual([name])
    expect(report.drift.map(({ kind, name: entry, expected, actual }) => ({ kind, name: entry, expected, actual }))).toEqual([
      { kind: 'partitions', name: undefined, expected: 6, actual: 2 },
      { kind: 'replicationFactor', name: undefined, expected: 3, actual: 1 },
      { kind: 'config', name: 'retention.ms', expected: '7200000', actual: '1000' },
      { kind: 'config', name: 'no.such.setting', expected: 'x', actual: undefined },
    ])
    expect(report.drift.every((entry) => entry.topic === name && entry.message.length > 0)).toBe(true)

    // Nothing was altered.
    expect(await describeTopic(name, ['retention.ms'])).toEqual({ partitions: 2, replicationFactor: 1, config: { 'retention.ms': '1000' } })

    const error = await kafka.admin().ensureTopics([Wanted], { failOnDrift: true }).then(() => undefined, (e: unknown) => e)
    expect(isKafkitError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'KAFKIT_TOPIC_DRIFT', retriable: false, context: { topics: [name] } })
  })

  test('a topic the cluster cannot create fails with a wrapped, non-retriable broker error', async () => {
    const TooReplicated = defineTopic({ name: uniqueName('replicated'), value: string(), partitions: 1, replicationFactor: 3 })
    const error = await kafka.admin().ensureTopics([TooReplicated]).then(() => undefined, (e: unknown) => e)
    expect(error).toMatchObject({ code: 'KAFKIT_KAFKA', retriable: false, context: { topics: [TooReplicated.name], kafkaError: 'INVALID_REPLICATION_FACTOR' } })
    expect((error as Error).message).toMatch(new RegExp(`${TooReplicated.name}: replication.factor`, 'i'))
  })
})

describe('listTopics', () => {
  test("names the cluster's topics, sorted, without __consumer_offsets unless includeInternal", async () => {
    const names = [uniqueName('listed-b'), uniqueName('listed-a')]
    await plain.createTopics({ waitForLeaders: true, topics: names.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) })
    // A group lookup makes the broker create __consumer_offsets, so there is an internal topic to leave out.
    await plain.fetchOffsets({ groupId: uniqueName('listed-group') })
    await waitFor(async () => (await plain.listTopics()).includes('__consumer_offsets'), { message: '__consumer_offsets created' })

    const admin = kafka.admin()
    const topics = await admin.listTopics()
    expect(topics).toEqual(expect.arrayContaining(names))
    expect(topics).toEqual([...topics].sort())
    expect(topics.some((topic) => topic.startsWith('__'))).toBe(false)
    expect(await admin.listTopics({ includeInternal: true })).toEqual(expect.arrayContaining([...names, '__consumer_offsets']))
    expect(await admin.listTopics()).not.toContain(uniqueName('listed-never'))

    const error = await admin.listTopics({ includeInternal: 'yes' } as never).then(() => undefined, (e: unknown) => e)
    expect(error).toMatchObject({ code: 'KAFKIT_CONFIG' })
  })
})
