// Contract: a topic deleted after a producer wrote to it does not stop that producer from writing to other topics (kafkajs fails every metadata refresh that names a missing topic; kafkit forgets topics nothing is queued for).
import { uniqueName } from '@kafkit/testkit'
import { expect, inject, test } from 'vitest'
import { defineTopic, Kafkit, string } from '../../src/index.js'
import { plainClient, readTopic } from './read-topic.js'

const { brokers } = inject('kafka')

test('after a topic it wrote to is deleted, the producer still writes to a new topic and to an old one', async () => {
  const kafka = new Kafkit({ clientId: 'core-deleted-topic', brokers, logLevel: 'nothing', retry: { retries: 2, initialRetryTimeMs: 100 } })
  const Gone = defineTopic({ name: uniqueName('gone'), value: string(), partitions: 1, replicationFactor: 1 })
  const Kept = defineTopic({ name: uniqueName('kept'), value: string(), partitions: 1, replicationFactor: 1 })
  const Later = defineTopic({ name: uniqueName('later'), value: string(), partitions: 1, replicationFactor: 1 })
  try {
    await kafka.admin().ensureTopics([Gone, Kept])
    const producer = kafka.producer()
    await producer.send(Gone, { value: 'before' })
    await producer.send(Kept, { value: 'one' })
    const admin = plainClient(brokers).admin()
    await admin.connect()
    await admin.deleteTopics({ topics: [Gone.name], timeout: 10_000 })
    await admin.disconnect()
    await kafka.admin().ensureTopics([Later])
    // A new topic makes the producer refresh metadata for every topic it knows, the deleted one included.
    await producer.send(Later, { value: 'new' })
    await producer.send(Kept, { value: 'two' })
    expect((await readTopic(brokers, Later.name, 1)).map((r) => r.value?.toString())).toEqual(['new'])
    expect((await readTopic(brokers, Kept.name, 2)).map((r) => r.value?.toString())).toEqual(['one', 'two'])
  } finally {
    await kafka.close()
  }
})
