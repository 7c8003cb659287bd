// Contract: records reach a partition in the order of the send calls, also when a serde encodes asynchronously (a registry lookup) and a later send's encoding finishes first; a send whose encoding fails holds nobody up.
import { uniqueName } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { defineTopic, Kafkit, KafkitError, type Serde, string } from '../../src/index.js'
import { readTopic } from './read-topic.js'

const { brokers } = inject('kafka')

/** An async serde: "<text>:<ms>" takes ms to encode, as a registry round trip would; "fail:<ms>" fails after ms. */
const slow: Serde<string> = {
  format: 'slow-text',
  async encode(value) {
    const ms = Number(value.split(':')[1] ?? 0)
    await new Promise((resolve) => setTimeout(resolve, ms))
    if (value.startsWith('fail')) throw new KafkitError('KAFKIT_SERDE_ENCODE', `cannot encode ${value}`)
    return Buffer.from(value)
  },
  decode: (bytes) => bytes.toString(),
}

let kafka: Kafkit
beforeAll(() => {
  kafka = new Kafkit({ clientId: 'core-order-test', brokers, logLevel: 'error' })
})
afterAll(async () => {
  await kafka.close()
})

describe('send order', () => {
  test('keeps the order of send calls when later encodings finish first', async () => {
    const Topic = defineTopic({ name: uniqueName('order'), key: string(), value: slow, partitions: 1, replicationFactor: 1 })
    await kafka.admin().ensureTopics([Topic])
    const producer = kafka.producer()
    // Each send encodes faster than the one before it; one in the middle fails; a synchronous-looking one (0 ms) comes last.
    const values = ['a:400', 'b:300', 'fail:200', 'c:100', 'd:0']
    const sends = values.map((value) => producer.send(Topic, { key: 'k', value }))
    const settled = await Promise.allSettled(sends)
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
    const records = await readTopic(brokers, Topic.name, 4)
    expect(records.map((r) => r.value?.toString())).toEqual(['a:400', 'b:300', 'c:100', 'd:0'])
    await producer.disconnect()
  })
})
