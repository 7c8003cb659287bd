// The delivery path's bound on held bytes (maxQueuedBytes), against a scripted broker: a send that
// does not fit waits for room in call order, fails `not-written` when its delivery timeout passes
// first, and is let in as soon as earlier sends settle. The real broker: test/integration/replica-down.int.test.ts.
import { describe, expect, test } from 'vitest'
import type { Delivery } from '../../../src/internal/transport/delivery.js'
import { ok, scriptedCluster, scriptedDelivery } from './scripted-cluster.js'

const settings = { acks: -1 as const, ackTimeoutMs: 100, compression: 0 }
/** A keyless, headerless record counts its value and 16 bytes of record overhead. */
const held = (value: string) => 16 + value.length
const send = (d: Delivery, value: string) => d.send([{ topic: 't', messages: [{ key: null, value: Buffer.from(value), partition: 0 }] }], settings)

function delivery(maxQueuedBytes: number, answer: Parameters<typeof scriptedCluster>[0], deliveryTimeoutMs = 300) {
  const { cluster, requests } = scriptedCluster(answer)
  return { d: scriptedDelivery(cluster, { deliveryTimeoutMs, maxQueuedBytes, requestTimeoutMs: 5_000 }).d, requests }
}

/** A gate the scripted broker waits on before it answers. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { opened, open }
}

describe('Delivery: maxQueuedBytes', () => {
  test('a send that does not fit waits; past its delivery timeout it fails not-written with reason buffer-full, and nothing of it was sent', async () => {
    const answers = gate()
    const { d, requests } = delivery(45, async () => {
      await answers.opened
      return { 0: ok('0') }
    })
    const first = send(d, 'aaaaaaaa') // 24 bytes held: in flight, unanswered
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(d.queuedBytes).toBe(held('aaaaaaaa'))
    const second = send(d, 'bbbbbbbb') // 24 more do not fit under 45
    await expect(second).rejects.toMatchObject({ code: 'KAFKIT_KAFKA', retriable: true, context: { reason: 'buffer-full', outcome: 'not-written', maxQueuedBytes: 45 } })
    expect(requests.flatMap((r) => r.topicData.flatMap((t) => t.partitions.flatMap((p) => p.messages.map((m) => m.value.toString()))))).toEqual(['aaaaaaaa'])
    answers.open()
    await expect(first).resolves.toHaveLength(1)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(d.queuedBytes).toBe(0)
    await d.flush()
    await d.close()
  })

  test('waiting sends are let in first come first served as room frees, and all are written in call order', async () => {
    const answers = gate()
    let offset = 0
    const { d, requests } = delivery(
      45,
      async () => {
        await answers.opened
        return { 0: ok(String(offset++)) }
      },
      5_000,
    )
    const sends = [send(d, 'aaaaaaaa'), send(d, 'bbbbbbbb'), send(d, 'c')]
    await new Promise((resolve) => setTimeout(resolve, 30))
    // 'c' would fit beside 'aaaaaaaa' (41 bytes) but waits behind 'bbbbbbbb'.
    expect(d.queuedBytes).toBe(held('aaaaaaaa'))
    expect(requests).toHaveLength(1)
    answers.open()
    await Promise.all(sends)
    expect(requests.flatMap((r) => r.topicData.flatMap((t) => t.partitions.flatMap((p) => p.messages.map((m) => m.value.toString()))))).toEqual(['aaaaaaaa', 'bbbbbbbb', 'c'])
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(d.queuedBytes).toBe(0)
    await d.flush()
    await d.close()
  })

  test('a send larger than the whole bound goes when nothing else is held; a close rejects waiting sends as aborted, not written', async () => {
    const answers = gate()
    const { d } = delivery(
      4,
      async () => {
        await answers.opened
        return { 0: ok('0') }
      },
      5_000,
    )
    const big = send(d, 'a-send-of-20-bytes!!')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(d.queuedBytes).toBe(held('a-send-of-20-bytes!!'))
    const waiting = send(d, 'x')
    await new Promise((resolve) => setTimeout(resolve, 20))
    const closed = d.close()
    await expect(waiting).rejects.toMatchObject({ code: 'KAFKIT_ABORTED', context: { outcome: 'not-written' } })
    answers.open()
    await closed
    await big.catch(() => {})
  })

  test('a send that goes no further than its reservation (its prepare step fails) gives its bytes back at once', async () => {
    const { d } = delivery(45, async () => ({ 0: ok('0') }), 5_000)
    const refused = d.send([{ topic: 't', messages: [{ key: null, value: Buffer.from('aaaaaaaa'), partition: 0 }] }], settings, async () => {
      throw new Error('the transaction coordinator refused the partitions')
    })
    await expect(refused).rejects.toMatchObject({ context: { outcome: 'not-written' } })
    expect(d.queuedBytes).toBe(0)
    // A send that needs the whole bound goes at once: nothing of the failed one is still held.
    await expect(send(d, 'x'.repeat(29))).resolves.toHaveLength(1)
    await d.flush()
    await d.close()
  })

  test('a big waiter that gives up lets the smaller sends behind it in, before their own deadlines', async () => {
    const answers = gate()
    let offset = 0
    const { d } = delivery(
      60,
      async () => {
        await answers.opened
        return { 0: ok(String(offset++)) }
      },
      400,
    )
    const first = send(d, 'a'.repeat(24)) // 40 bytes held, unanswered until the gate opens
    await new Promise((resolve) => setTimeout(resolve, 20))
    const big = send(d, 'b'.repeat(34)) // 50 more do not fit: waits, and gives up at 400 ms
    big.catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Another topic: a send to 't' would wait behind the big one's entry anyway (same-topic sends enter in call order).
    const small = d.send([{ topic: 'u', messages: [{ key: null, value: Buffer.from('c'), partition: 0 }] }], settings) // 17 would fit, but waits behind the big one
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(d.queuedBytes).toBe(held('a'.repeat(24)))
    await expect(big).rejects.toMatchObject({ context: { reason: 'buffer-full' } })
    // The big one gone, the small one is let in at once (its own deadline is ~100 ms later).
    expect(d.queuedBytes).toBe(held('a'.repeat(24)) + held('c'))
    answers.open()
    await expect(first).resolves.toHaveLength(1)
    await expect(small).resolves.toHaveLength(1)
    await d.flush()
    await d.close()
  })
})
