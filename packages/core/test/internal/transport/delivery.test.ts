// The delivery path's sequence bookkeeping, against a scripted broker answer per request (the real
// broker's behaviour is in test/integration/producer-failover.int.test.ts): a sent batch's sequence
// range is never given to other records under the same producer id, and a request never mixes ids.
import { describe, expect, test, vi } from 'vitest'
import { type PartitionAnswer, ok, type SentRequest, scriptedCluster as scripted, scriptedDelivery } from './scripted-cluster.js'

/** A broker whose Produce answers come from `answer`, each after `delayMs`; it records every request. */
function scriptedCluster(answer: (request: SentRequest, index: number) => Record<number, PartitionAnswer>, delayMs: (request: SentRequest, index: number) => number = () => 0) {
  return scripted(async (request, index) => {
    const answers = answer(request, index)
    const delay = delayMs(request, index)
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
    return answers
  })
}

const delivery = (cluster: Parameters<typeof scriptedDelivery>[0], deliveryTimeoutMs = 2_000, grantMs = 0) => scriptedDelivery(cluster, { deliveryTimeoutMs, grantMs })

const settings = { acks: -1 as const, ackTimeoutMs: 100, compression: 0 }
const records = (partition: number, ...values: string[]) => [{ topic: 't', messages: values.map((v) => ({ key: null, value: Buffer.from(v), partition })) }]
const NOT_LEADER = { errorCode: 6, baseOffset: '-1' }
const OUT_OF_ORDER = { errorCode: 45, baseOffset: '-1' }

describe('Delivery', () => {
  test('a batch that was sent and then timed out is unknown, and its sequence range is never reused under the same producer id', async () => {
    let failing = true
    const { cluster, requests } = scriptedCluster(() => ({ 0: failing ? NOT_LEADER : ok('500') }))
    const { d, identity } = delivery(cluster, 400)
    await identity.renew(undefined)
    const first = await d.send(records(0, 'r1'), settings).catch((e: { context: Record<string, unknown> }) => e.context)
    expect(first).toMatchObject({ outcome: 'unknown' })
    failing = false
    expect(await d.send(records(0, 'r2'), settings)).toEqual([{ topic: 't', partition: 0, baseOffset: '500', logAppendTime: '-1' }])
    const last = requests.at(-1)!
    // r2 goes under a new producer id: under the old one, sequence 0 could be answered from the
    // broker's duplicate cache with r1's offset.
    expect(last.producerId).toBe(101)
    expect(last.topicData[0]!.partitions[0]!.firstSequence).toBe(0)
    for (const request of requests.slice(0, -1)) expect(request.producerId).toBe(100)
    await d.close()
  })

  test('after a sequence error the same records go again under a new producer id from sequence 0, and the send resolves', async () => {
    const { cluster, requests } = scriptedCluster((_, index) => ({ 0: index === 1 ? OUT_OF_ORDER : ok(String(10 + index)) }))
    const { d, identity } = delivery(cluster)
    await identity.renew(undefined)
    await d.send(records(0, 'a'), settings)
    const written = await d.send(records(0, 'b', 'c'), settings)
    expect(written).toMatchObject([{ partition: 0, baseOffset: '12' }])
    expect(requests.map((r) => [r.producerId, r.topicData[0]!.partitions[0]!.firstSequence, r.topicData[0]!.partitions[0]!.messages.map((m) => m.value.toString()).join('')])).toEqual([
      [100, 0, 'a'],
      [100, 1, 'bc'],
      [101, 0, 'bc'],
    ])
    await d.close()
  })

  test('a request never carries batches of two producer ids', async () => {
    // y (partition 1, id 100) waits for a retry; x (partition 0) meets a sequence error and
    // gets id 101 after 50 ms; z (partition 2) holds the broker for 250 ms meanwhile. When z's
    // answer comes, x and y are both ready for the same broker.
    // On a clock the test moves: on a busy machine, late real timers could let y's retry (due
    // ~100 ms after its answer) go out before x or z, and the requests would not be these.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const { cluster, requests } = scriptedCluster(
        (request, index) => {
          const answers: Record<number, { errorCode: number; baseOffset: string }> = {}
          for (const p of request.topicData[0]!.partitions) answers[p.partition] = index === 0 ? NOT_LEADER : index === 1 ? OUT_OF_ORDER : ok(String(index))
          return answers
        },
        (request, index) => (index === 2 ? 250 : 0),
      )
      const { d, identity } = delivery(cluster, 5_000, 50)
      await identity.renew(undefined)
      const sends = [d.send(records(1, 'y'), settings)]
      await vi.advanceTimersByTimeAsync(5)
      sends.push(d.send(records(0, 'x'), settings))
      await vi.advanceTimersByTimeAsync(5)
      sends.push(d.send(records(2, 'z'), settings))
      let settled = false
      const all = Promise.all(sends).finally(() => (settled = true))
      for (let ms = 0; !settled && ms < 5_000; ms += 10) await vi.advanceTimersByTimeAsync(10)
      await all
      const seen = requests.map((r) => [r.producerId, r.topicData.flatMap((t) => t.partitions.map((p) => `${p.partition}@${p.firstSequence}`)).sort()])
      expect(seen.slice(0, 3)).toEqual([
        [100, ['1@0']],
        [100, ['0@0']],
        [100, ['2@0']],
      ])
      // y's retry keeps id 100 and its sequence; x goes under 101 from 0; never in one request.
      expect(seen.slice(3).sort()).toEqual([
        [100, ['1@0']],
        [101, ['0@0']],
      ])
      await d.close()
    } finally {
      vi.useRealTimers()
    }
  })
})
