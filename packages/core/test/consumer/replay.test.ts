import { describe, expect, it } from 'vitest'
import { DeadLetterTopic, type DeadLetterToolDeps, replayTransactionalIdOf } from '../../src/consumer/replay.js'
import { isKafkitError, KafkitError } from '../../src/errors.js'
import type { TransportTransactionalOptions, WireTopicMessages } from '../../src/internal/transport/index.js'
import { KafkitHeaders } from '../../src/runtime/headers.js'
import type { RawRecord } from '../../src/runtime/records.js'

// The replay's bookkeeping on fake ports: each batch's records and ledger entries go in one
// transaction, committed or aborted as a whole, and the ledger is read only after the
// transactional id is registered. The Kafka side is tested on the real broker
// (test/integration/dead-letter-replay-failure.int.test.ts, dead-letter-replay-concurrent.int.test.ts).

const DLQ = 'orders.dlq'

function deadLetter(offset: number): RawRecord {
  return { topic: DLQ, partition: 0, offset: String(offset), timestamp: '0', key: Buffer.from(`k${offset}`), value: Buffer.from(`v${offset}`), headers: { [KafkitHeaders.originalTopic]: 'orders' } }
}

interface Faults {
  /** Makes the send of a batch holding this dead letter fail. */
  send?: (offset: number) => KafkitError | undefined
  /** Makes the commit of the `n`-th transaction (from 1) fail. */
  commit?: (n: number) => KafkitError | undefined
}

/** Ports over `count` dead letters and a transactional producer whose committed writes land in `ledger` and `sent`. */
function ports(count: number, faults: Faults = {}, shared?: { ledger: RawRecord[]; sent: string[] }) {
  const ledger = shared?.ledger ?? []
  const sent = shared?.sent ?? []
  const calls: string[] = []
  const producers: TransportTransactionalOptions[] = []
  let commits = 0
  const deps: DeadLetterToolDeps = {
    async *stream(topic) {
      calls.push(`read ${topic}`)
      if (topic === DLQ) for (let i = 0; i < count; i++) yield deadLetter(i)
      else yield* ledger
    },
    transactional(options) {
      producers.push(options)
      return {
        transactionalId: options.transactionalId,
        init: async () => void calls.push('init'),
        reset: async () => {},
        disconnect: async () => void calls.push('disconnect'),
        begin: async () => {
          const pending: WireTopicMessages[] = []
          return {
            async send(batch) {
              for (const { topic, messages } of batch) {
                if (topic !== DLQ + '.replayed') {
                  for (const m of messages) {
                    const error = faults.send?.(Number(m.headers![KafkitHeaders.replayOf]!.toString().split('/')[2]))
                    if (error) throw error
                  }
                }
              }
              pending.push(...batch)
              return []
            },
            sendOffsets: async () => {},
            async commit() {
              const error = faults.commit?.(++commits)
              if (error) throw error
              for (const { topic, messages } of pending) {
                for (const m of messages) {
                  if (topic === `${DLQ}.replayed`) ledger.push({ topic, partition: 0, offset: String(ledger.length), timestamp: '0', key: m.key, value: m.value, headers: {} })
                  else sent.push(m.headers![KafkitHeaders.replayOf]!.toString().split('/')[2]!)
                }
              }
            },
            abort: async () => void calls.push('abort'),
          }
        },
      }
    },
    topics: { ensureTopics: async () => {}, describe: async () => ({ partitions: 1, replicationFactor: 1 }) },
  }
  return { deps, ledger, sent, calls, producers, noted: () => ledger.map((r) => r.key!.toString().split(':')[1]!) }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => String(from + i))
const refused = new KafkitError('KAFKIT_KAFKA', 'Send failed: too large', { context: { topic: 'orders', kafkaError: 'MESSAGE_TOO_LARGE' } })

describe('DeadLetterTopic.replay bookkeeping', () => {
  it('registers the replays’ transactional id before it reads the ledger, and disconnects at the end', async () => {
    const p = ports(3)
    await new DeadLetterTopic(DLQ, p.deps).replay()
    expect(p.producers).toMatchObject([{ transactionalId: replayTransactionalIdOf(DLQ), allowAutoTopicCreation: false }])
    expect(replayTransactionalIdOf(DLQ)).toBe('kafkit-replay-orders.dlq')
    expect(p.calls.slice(0, 3)).toEqual(['init', `read ${DLQ}.replayed`, `read ${DLQ}`])
    expect(p.calls.at(-1)).toBe('disconnect')
    expect(p.sent).toEqual(['0', '1', '2'])
    expect(p.noted()).toEqual(['0', '1', '2'])
  })

  it('a failed batch aborts whole: neither its records nor its ledger entries are committed; the next replay sends it and what came after', async () => {
    // 2,000 records in 4 batches of 500; batch 2 holds the record the target refuses.
    const p = ports(2_000, { send: (o) => (o === 700 ? refused : undefined) })
    const tool = new DeadLetterTopic(DLQ, p.deps)
    const reported: string[] = []
    tool.on('replay.record', (r) => reported.push(r.offset))
    const error = await tool.replay({ collect: false }).catch((e: unknown) => e)
    expect(isKafkitError(error)).toBe(true)
    expect(p.noted()).toEqual(range(0, 500))
    expect(p.sent).toEqual(range(0, 500))
    expect(reported).toEqual(range(0, 500))
    expect(p.calls).toContain('abort')
    const context = (error as KafkitError).context
    expect(context).toMatchObject({ topic: DLQ, partition: 0, offset: '500', target: 'orders', kafkaError: 'MESSAGE_TOO_LARGE' })
    expect(context.failed).toEqual(range(500, 1_000).map((offset) => ({ partition: 0, offset, target: 'orders', outcome: 'not-written' })))
    expect((error as KafkitError).message).toContain('orders.dlq[0]@500 -> orders')
    expect((error as KafkitError).message).toContain('aborted')

    // The next replay sends exactly the rest.
    const fixed = ports(2_000, {}, { ledger: p.ledger, sent: p.sent })
    const again = await new DeadLetterTopic(DLQ, fixed.deps).replay()
    expect(again.replayed.map((r) => r.offset)).toEqual(range(500, 2_000))
    expect(p.sent).toEqual(range(0, 2_000))
  })

  it('a commit without an answer says the batch is in both or neither, and is retriable', async () => {
    const unknown = new KafkitError('KAFKIT_KAFKA', 'Commit transaction: timed out', { retriable: true, context: { outcome: 'unknown' } })
    const p = ports(10, { commit: () => unknown })
    const error = (await new DeadLetterTopic(DLQ, p.deps).replay().catch((e: unknown) => e)) as KafkitError
    expect(error.retriable).toBe(true)
    expect(error.context.failed).toHaveLength(10)
    expect((error.context.failed as { outcome: string }[]).every((f) => f.outcome === 'unknown')).toBe(true)
    expect(error.message).toContain('no answer')
  })

  it('a fenced replay stops with KAFKIT_PRODUCER_FENCED naming the dead-letter topic, keeping what it committed', async () => {
    const fenced = new KafkitError('KAFKIT_PRODUCER_FENCED', 'engine: INVALID_PRODUCER_EPOCH', { context: { kafkaError: 'INVALID_PRODUCER_EPOCH' } })
    const p = ports(1_000, { commit: (n) => (n === 2 ? fenced : undefined) })
    const error = (await new DeadLetterTopic(DLQ, p.deps).replay().catch((e: unknown) => e)) as KafkitError
    expect(error).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', retriable: false, context: { topic: DLQ, dlqTopic: DLQ, transactionalId: 'kafkit-replay-orders.dlq', fenced: true, replayedCount: 500 } })
    expect(error.message).toContain(`replay of ${DLQ} stopped: fenced on the replays' transactional id`)
    expect(error.message).toContain(`by another replay of ${DLQ} that took over`)
    expect(p.noted()).toEqual(range(0, 500))
  })

  it('a replay fenced at a send of its open transaction says that transaction was aborted', async () => {
    const fenced = new KafkitError('KAFKIT_PRODUCER_FENCED', 'engine: INVALID_PRODUCER_EPOCH', { context: { kafkaError: 'INVALID_PRODUCER_EPOCH' } })
    const p = ports(1_000, { send: (offset) => (offset === 600 ? fenced : undefined) })
    const error = (await new DeadLetterTopic(DLQ, p.deps).replay().catch((e: unknown) => e)) as KafkitError
    expect(error).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', context: { fenced: true, replayedCount: 500 } })
    expect(error.message).toMatch(/the transaction of its last 500 dead letters, never committed, was aborted/)
  })

  it('a replay fenced at a commit that got no settling answer does not claim its transaction was aborted: it may have committed', async () => {
    // As the transport reports a commit whose EndTxn was lost and whose epoch's abort was refused as fenced.
    const fenced = new KafkitError('KAFKIT_PRODUCER_FENCED', 'Commit transaction failed: Connection closed; fenced: the abort of its epoch that followed was refused', { context: { kafkaError: 'INVALID_PRODUCER_EPOCH', outcome: 'unknown' } })
    const p = ports(1_000, { commit: (n) => (n === 2 ? fenced : undefined) })
    const error = (await new DeadLetterTopic(DLQ, p.deps).replay().catch((e: unknown) => e)) as KafkitError
    expect(error).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', retriable: false, context: { fenced: true, replayedCount: 500 } })
    expect(error.message).not.toMatch(/aborted/)
    expect(error.message).toMatch(/the commit of its last 500 dead letters met the fencing without an answer that settles it: that transaction may have committed or not \(the ledger orders\.dlq\.replayed says which/)
  })

  it('a dry run registers nothing and writes nothing', async () => {
    const p = ports(5)
    const report = await new DeadLetterTopic(DLQ, p.deps).replay({ dryRun: true })
    expect(report.replayedCount).toBe(5)
    expect(p.producers).toEqual([])
    expect(p.sent).toEqual([])
  })
})
