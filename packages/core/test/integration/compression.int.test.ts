// Contract: each codec (gzip, snappy, lz4, zstd) works on the real broker both ways: batches kafkit compresses are accepted by the (Java) broker and read back, and batches the broker compresses itself (topic compression.type) are decompressed by kafkit's codecs.
import { uniqueName } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { z } from 'zod'
import { type CompressionName, defineTopic, json, Kafkit, string } from '../../src/index.js'
import { readTopic } from './read-topic.js'

const { brokers } = inject('kafka')
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const satisfies CompressionName[]

let kafka: Kafkit
beforeAll(() => {
  kafka = new Kafkit({ clientId: 'core-compression-test', brokers, logLevel: 'error' })
})
afterAll(async () => {
  await kafka.close()
})

// Repetitive but varied values: compressible, and big enough to span several codec blocks.
const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: { i, text: `record ${i} `.repeat(40 + (i % 7)) } }))
const contract = (config: Record<string, string> = {}) =>
  defineTopic({ name: uniqueName('codec'), key: string(), value: json(z.object({ i: z.number(), text: z.string() })), partitions: 2, replicationFactor: 1, config })

function expectSameMessages(records: { key: Buffer | null; value: Buffer | null }[]) {
  expect(records).toHaveLength(messages.length)
  const got = new Map(records.map((record) => [record.key!.toString(), JSON.parse(record.value!.toString())]))
  for (const message of messages) expect(got.get(message.key)).toEqual(message.value)
}

describe.each(CODECS)('%s', (codec) => {
  test('the broker accepts what kafkit compresses, and it reads back intact', async () => {
    const Topic = contract({ 'compression.type': 'producer' })
    await kafka.admin().ensureTopics([Topic])
    await kafka.producer({ compression: codec }).send(Topic, messages)
    expectSameMessages(await readTopic(brokers, Topic.name, messages.length))
  })

  test('kafkit decompresses what the broker (Java) compressed', async () => {
    const Topic = contract({ 'compression.type': codec })
    await kafka.admin().ensureTopics([Topic])
    await kafka.producer({ compression: 'none' }).send(Topic, messages)
    // kafkit registered its codecs in kafkajs' process-wide registry when the client was built.
    expectSameMessages(await readTopic(brokers, Topic.name, messages.length))
  })
})
