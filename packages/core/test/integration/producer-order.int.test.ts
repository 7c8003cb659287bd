// Contract: records reach a partition in the order of the send calls, also when a serde encodes asynchronously (a registry lookup) and a later send's encoding finishes first, and also when the later send's serde is synchronous; a send whose encoding fails holds nobody up; a slow encode holds up only sends to its own topic.
import { uniqueName } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { defineTopic, Kafkit, KafkitError, type Serde, string } from '../../src/index.js'
import { readTopic } from './read-topic.js'

const { brokers } = inject('kafka')

/** Held by `gated` values until the test opens it. */
let openGate: () => void = () => {}
let gate = Promise.resolve()

/** An async serde: "<text>:<ms>" takes ms to encode, as a registry round trip would; "fail:<ms>" fails after ms; "gated" waits for the test. */
const slow: Serde<string> = {
  format: 'slow-text',
  async encode(value) {
    if (value === 'gated') await gate
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
    // The same topic through a synchronous serde: it must not overtake the async ones before it.
    const SameTopicSync = defineTopic({ name: Topic.name, key: string(), value: string(), partitions: 1, replicationFactor: 1 })
    sends.push(producer.send(SameTopicSync, { key: 'k', value: 'e-sync' }))
    const settled = await Promise.allSettled(sends)
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'])
    const records = await readTopic(brokers, Topic.name, 5)
    expect(records.map((r) => r.value?.toString())).toEqual(['a:400', 'b:300', 'c:100', 'd:0', 'e-sync'])
    await producer.disconnect()
  })

  test('a slow encode holds up only sends to its own topic', async () => {
    const Slow = defineTopic({ name: uniqueName('order-slow'), key: string(), value: slow, partitions: 1, replicationFactor: 1 })
    const Fast = defineTopic({ name: uniqueName('order-fast'), key: string(), value: string(), partitions: 1, replicationFactor: 1 })
    await kafka.admin().ensureTopics([Slow, Fast])
    const producer = kafka.producer()
    await producer.connect()
    // The slow encode lasts until the fast send is acknowledged: no clock decides the outcome
    // (a fast send held up by it would never be acknowledged, and the test would time out).
    gate = new Promise<void>((resolve) => (openGate = resolve))
    let slowDone = false
    const slowSend = producer.send(Slow, { key: 'k', value: 'gated' }).then((written) => {
      slowDone = true
      return written
    })
    // Observed from here on, so a failure of it while the fast send is awaited is no unhandled rejection.
    const slowOutcome = slowSend.then(
      () => undefined,
      (error: unknown) => error,
    )
    try {
      await producer.send(Fast, { key: 'k', value: 'fast' })
      // The fast topic's send was acknowledged while the slow encode still ran.
      expect(slowDone).toBe(false)
    } finally {
      openGate()
    }
    expect(await slowOutcome).toBeUndefined()
    expect((await readTopic(brokers, Fast.name, 1)).map((r) => r.value?.toString())).toEqual(['fast'])
    await producer.disconnect()
  })
})
