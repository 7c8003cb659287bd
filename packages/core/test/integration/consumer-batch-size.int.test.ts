// Contract: handleBatch gives its handler consecutive messages of one partition, in order, at most maxMessages (default 100) per call, even when kafkajs fetches a larger partition batch; every message is handled exactly once, a failed call is retried as that call, and the group's offsets cover exactly what was handled.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineTopic } from '../../src/contract.js'
import { json } from '../../src/serdes/json.js'
import { string } from '../../src/serdes/string.js'
import { useHarness } from './consumer-harness.js'

const h = useHarness()

const contractFor = (name: string) => defineTopic({ name, key: string(), value: json(z.object({ n: z.number() })) })
const records = (from: number, count: number, partition: number) =>
  Array.from({ length: count }, (_, i) => ({ key: `k${partition}`, value: JSON.stringify({ n: from + i }), partition }))

interface Call {
  partition: number
  ns: number[]
  attempt: number
}

describe('batch handler size', () => {
  it('splits a fetched partition batch into calls of at most maxMessages, in order, each message once', async () => {
    const topic = uniqueName('batch-size')
    await h.createTopic(topic, 2)
    // Written before the consumer starts, so its first fetch returns them as two large partition batches.
    await h.produce(topic, records(0, 250, 0))
    await h.produce(topic, records(1000, 120, 1))
    const calls: Call[] = []
    let failOnce = true
    const groupId = uniqueName('g')
    const consumer = h.consumer({ groupId, fromBeginning: true, retry: { attempts: 2, backoff: { initialMs: 10, maxMs: 10 } } })
    consumer.handleBatch(
      contractFor(topic),
      async (messages) => {
        calls.push({ partition: messages[0]!.partition, ns: messages.map((m) => m.value.n), attempt: messages[0]!.attempt })
        // The second call of partition 0 fails once: it is retried as the same call.
        if (failOnce && messages[0]!.value.n === 100) {
          failOnce = false
          throw new Error('bulk insert refused once')
        }
      },
      { maxMessages: 100 },
    )
    await consumer.start()
    const handled = () => new Set(calls.filter((c) => !(c.ns[0] === 100 && c.attempt === 1)).flatMap((c) => c.ns)).size
    await waitFor(() => handled() >= 370, { message: 'all 370 records handled', timeoutMs: 60_000 })
    await consumer.stop()

    for (const call of calls) expect(call.ns.length).toBeLessThanOrEqual(100)
    // The fetch delivered more than 100 records of partition 0 at once, so the cap did the splitting.
    expect(calls.some((c) => c.ns.length === 100)).toBe(true)
    const first = calls.filter((c) => c.partition === 0 && c.ns[0] === 100)
    expect(first.map((c) => c.attempt)).toEqual([1, 2])
    expect(first[0]!.ns).toEqual(first[1]!.ns)

    for (const [partition, from, count] of [[0, 0, 250], [1, 1000, 120]] as const) {
      const succeeded = calls.filter((c) => c.partition === partition && !(c.ns[0] === 100 && c.attempt === 1)).flatMap((c) => c.ns)
      // In order and each exactly once.
      expect(succeeded).toEqual(Array.from({ length: count }, (_, i) => from + i))
    }

    // The offsets cover exactly what was handled: the next member of the group gets only what is new.
    await h.produce(topic, records(250, 1, 0))
    const next: number[] = []
    const again = h.consumer({ groupId, fromBeginning: true })
    again.handleBatch(contractFor(topic), (messages) => void next.push(...messages.map((m) => m.value.n)))
    await again.start()
    await waitFor(() => next.length >= 1, { message: 'the new record handled by the next member' })
    await again.stop()
    expect(next).toEqual([250])
  })

  it('refuses a maxMessages that is not an integer of at least 1, naming the topic', () => {
    const consumer = h.consumer({ groupId: uniqueName('g') })
    for (const maxMessages of [0, -1, 1.5, Number.NaN]) {
      expect(() => consumer.handleBatch(contractFor('orders'), () => undefined, { maxMessages })).toThrow(
        expect.objectContaining({ code: 'KAFKIT_CONFIG', message: expect.stringContaining('handleBatch(orders).maxMessages') }),
      )
    }
  })
})
