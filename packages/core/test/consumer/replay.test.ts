import { describe, expect, it } from 'vitest'
import { DeadLetterTopic, type DeadLetterToolDeps } from '../../src/consumer/replay.js'
import { isKafkitError, KafkitError } from '../../src/errors.js'
import { KafkitHeaders } from '../../src/runtime/headers.js'
import type { OutgoingRecord, RawRecord } from '../../src/runtime/records.js'

// The replay's bookkeeping on fake ports: which records it notes in the ledger and reports,
// whatever order the acknowledgements come in. The Kafka side is tested on the real broker
// (test/integration/dead-letter-replay-failure.int.test.ts).

const DLQ = 'orders.dlq'

function deadLetter(offset: number): RawRecord {
  return { topic: DLQ, partition: 0, offset: String(offset), timestamp: '0', key: Buffer.from(`k${offset}`), value: Buffer.from(`v${offset}`), headers: { [KafkitHeaders.originalTopic]: 'orders' } }
}

/** Ports over `count` dead letters; `fail(offset)` makes that record's send reject (with its delay, to settle out of order). */
function ports(count: number, fail: (offset: number) => KafkitError | undefined, delayMs: (offset: number) => number = () => 0) {
  const ledger: RawRecord[] = []
  const sent: string[] = []
  const deps: DeadLetterToolDeps = {
    async *stream(topic) {
      if (topic === DLQ) for (let i = 0; i < count; i++) yield deadLetter(i)
      else yield* ledger
    },
    sender: {
      async send(records: OutgoingRecord[]) {
        if (records[0]!.topic === `${DLQ}.replayed`) {
          for (const r of records) ledger.push({ topic: r.topic, partition: 0, offset: String(ledger.length), timestamp: '0', key: r.key, value: r.value, headers: {} })
          return
        }
        expect(records).toHaveLength(1)
        const offset = Number(records[0]!.headers[KafkitHeaders.replayOf]!.toString().split('/')[2])
        await new Promise((r) => setTimeout(r, delayMs(offset)))
        const error = fail(offset)
        if (error) throw error
        sent.push(String(offset))
      },
    },
    topics: { ensureTopics: async () => {}, describe: async () => ({ partitions: 1, replicationFactor: 1 }) },
  }
  return { deps, ledger, sent, noted: () => ledger.map((r) => r.key!.toString().split(':')[1]!).sort((a, b) => Number(a) - Number(b)) }
}

const refused = new KafkitError('KAFKIT_KAFKA', 'Send failed: too large', { context: { topic: 'orders', outcome: 'not-written', kafkaError: 'MESSAGE_TOO_LARGE' } })

describe('DeadLetterTopic.replay bookkeeping', () => {
  it('notes every acknowledged record, also those of batches acknowledged after a failed one, and reports them in read order', async () => {
    // 2,000 records in 4 batches; batch 2 holds the failing record and settles last.
    const p = ports(2_000, (o) => (o === 700 ? refused : undefined), (o) => (o >= 500 && o < 1_000 ? 30 : 0))
    const tool = new DeadLetterTopic(DLQ, p.deps)
    const reported: string[] = []
    tool.on('replay.record', (r) => reported.push(r.offset))
    const error = await tool.replay({ collect: false }).catch((e: unknown) => e)
    expect(isKafkitError(error)).toBe(true)
    const expected = Array.from({ length: 2_000 }, (_, i) => String(i)).filter((o) => o !== '700')
    expect(p.noted()).toEqual(expected)
    expect(reported).toEqual(expected)
    expect((error as KafkitError).context).toMatchObject({ topic: DLQ, partition: 0, offset: '700', target: 'orders', kafkaError: 'MESSAGE_TOO_LARGE', failed: [{ partition: 0, offset: '700', target: 'orders', outcome: 'not-written' }] })
    expect((error as KafkitError).message).toContain('orders.dlq[0]@700 -> orders')

    // The next replay sends only the one left out.
    const fixed = ports(2_000, () => undefined)
    const again = await new DeadLetterTopic(DLQ, { ...fixed.deps, stream: p.deps.stream, sender: { send: async (records) => (records[0]!.topic === 'orders' ? fixed.deps.sender.send(records) : p.deps.sender.send(records)) } }).replay()
    expect(again.replayed.map((r) => r.offset)).toEqual(['700'])
    expect(fixed.sent).toEqual(['700'])
  })

  it('says which records may be duplicated: those whose outcome is unknown', async () => {
    const timedOut = new KafkitError('KAFKIT_KAFKA', 'delivery timeout', { retriable: true, context: { topic: 'orders', outcome: 'unknown' } })
    const p = ports(10, (o) => (o === 3 || o === 4 ? timedOut : o === 5 ? refused : undefined))
    const error = (await new DeadLetterTopic(DLQ, p.deps).replay().catch((e: unknown) => e)) as KafkitError
    expect(error.retriable).toBe(true)
    expect(error.context.failed).toEqual([
      { partition: 0, offset: '3', target: 'orders', outcome: 'unknown' },
      { partition: 0, offset: '4', target: 'orders', outcome: 'unknown' },
      { partition: 0, offset: '5', target: 'orders', outcome: 'not-written' },
    ])
    expect(error.message).toContain('2 of them got no answer')
    expect(p.noted()).toEqual(['0', '1', '2', '6', '7', '8', '9'])
  })
})
