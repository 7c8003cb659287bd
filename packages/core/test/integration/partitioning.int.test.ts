// Contract: keyed records land on the partition the Java client's murmur2 partitioner picks (reference values printed by kafka-clients 3.9.2), a custom partitioner decides when given, and an explicit partition always wins.
import { uniqueName } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { defineTopic, Kafkit, string } from '../../src/index.js'
import { readTopic } from './read-topic.js'

const { brokers } = inject('kafka')

// key -> partition of 6, from `Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % 6` in Java.
const JAVA_PARTITION_OF_6: Record<string, number> = {
  '21': 0,
  foobar: 0,
  'a-little-bit-long-string': 2,
  'a-little-bit-longer-string': 5,
  lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: 5,
  abc: 3,
  u1: 4,
  'user-42': 4,
  'order-1001': 0,
  'ünïcödé-ключ': 2,
  k: 2,
}

let kafka: Kafkit
beforeAll(() => {
  kafka = new Kafkit({ clientId: 'core-partitioning-test', brokers, logLevel: 'error' })
})
afterAll(async () => {
  await kafka.close()
})

const sixPartitions = () => defineTopic({ name: uniqueName('placement'), key: string(), value: string(), partitions: 6, replicationFactor: 1 })

describe('key partitioning', () => {
  test('the default partitioner places keys where the Java client does', async () => {
    const Topic = sixPartitions()
    await kafka.admin().ensureTopics([Topic])
    const keys = Object.keys(JAVA_PARTITION_OF_6)
    await kafka.producer().send(Topic, keys.map((key) => ({ key, value: key })))
    const records = await readTopic(brokers, Topic.name, keys.length)
    const placed = Object.fromEntries(records.map((record) => [record.key!.toString('utf8'), record.partition]))
    expect(placed).toEqual(JAVA_PARTITION_OF_6)
  })

  test('a custom partitioner decides, and an explicit partition wins over it', async () => {
    const Topic = sixPartitions()
    await kafka.admin().ensureTopics([Topic])
    const producer = kafka.producer({ partitioner: ({ key, partitionCount }) => (key === null ? 0 : key.length % partitionCount) })
    await producer.send(Topic, [
      { key: 'a', value: 'len 1' },
      { key: 'abcd', value: 'len 4' },
      { key: 'abcdefgh', value: 'len 8' },
      { key: 'abcd', value: 'pinned', partition: 5 },
    ])
    const records = await readTopic(brokers, Topic.name, 4)
    expect(Object.fromEntries(records.map((record) => [record.value!.toString(), record.partition]))).toEqual({ 'len 1': 1, 'len 4': 4, 'len 8': 2, pinned: 5 })
  })
})
