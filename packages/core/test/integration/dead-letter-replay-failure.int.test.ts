// Contract: a replay that fails part way (one dead letter the target refuses) aborts that batch whole, so its ledger lists exactly the records a read_committed reader finds in the target and the next replay sends only the others, none twice; its KafkitError names the dead-letter topic, partition and offset of each record of the failed batch and the target topic; and its `timeoutMs` bounds it when the dead-letter topic or the target goes away mid-replay (the reads and the sends, not the 120 s defaults).
import { runCli } from '@kafkit/cli'
import { rejectionOf, uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, inject, it } from 'vitest'
import { isKafkitError, type KafkitError } from '../../src/errors.js'
import { KafkitHeaders } from '../../src/runtime/headers.js'
import { useHarness } from './consumer-harness.js'
import { readCommitted } from './transaction-helpers.js'

const { brokers } = inject('kafka')
const h = useHarness()

// Over the target's default max.message.bytes (1 MiB) and over the producer's batch cap, so
// this one record is a batch of its own that the broker refuses; every other batch fits.
const OVERSIZED = 1_200_000

/** A dead-letter topic (one partition, room for the oversized record) and the source topic it replays to. */
async function topics(prefix: string) {
  const source = uniqueName(prefix)
  const dlq = `${source}.dlq`
  await h.createTopic(source, 1)
  await h.admin.createTopics({ waitForLeaders: true, topics: [{ topic: dlq, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '3000000' }] }] })
  return { source, dlq }
}

/** Writes dead letters 0..count-1 of `source` to `dlq`: `oversized` gets a value too large for the target and error code KAFKIT_SERDE_DECODE, the others KAFKIT_HANDLER. */
async function deadLetters(dlq: string, source: string, count: number, oversized: number, valueBytes = 0) {
  const now = Date.now()
  const record = (i: number) => ({
    key: `k${i}`,
    value: i === oversized ? Buffer.alloc(OVERSIZED, 'x') : `payload ${i} ${'.'.repeat(valueBytes)}`,
    headers: {
      [KafkitHeaders.originalTopic]: source,
      [KafkitHeaders.originalPartition]: '0',
      [KafkitHeaders.originalOffset]: String(i),
      [KafkitHeaders.originalGroup]: 'g',
      [KafkitHeaders.attempts]: '1',
      [KafkitHeaders.errorCode]: i === oversized ? 'KAFKIT_SERDE_DECODE' : 'KAFKIT_HANDLER',
      [KafkitHeaders.failedAt]: String(now),
    },
  })
  // In order, in one partition: the oversized record as a request of its own.
  let from = 0
  while (from < count) {
    const to = from === oversized ? from + 1 : Math.min(count, oversized > from ? oversized : count, from + 1_000)
    await h.producer.send({ topic: dlq, acks: -1, messages: Array.from({ length: to - from }, (_, k) => record(from + k)) })
    from = to
  }
}

/**
 * DLQ offsets of the records a read_committed reader finds in the target, with how often
 * each came: dead letter `i` is `payload <i>` at offset `i` of the dead-letter topic.
 */
async function replayedOffsets(source: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const record of await readCommitted(brokers, source)) {
    const offset = /^payload (\d+) /.exec(record.value)?.[1]
    expect(offset, record.value.slice(0, 40)).toBeDefined()
    counts.set(offset!, (counts.get(offset!) ?? 0) + 1)
  }
  return counts
}

describe('a replay that fails part way', () => {
  it('aborts the failed batch whole: the ledger lists exactly what the target holds, and the next replay sends only the rest, none twice', async () => {
    const { source, dlq } = await topics('replay-partial')
    const count = 3_000
    const oversized = 700
    await deadLetters(dlq, source, count, oversized)
    const tool = h.kafkit.deadLetters(dlq)

    // Batch 2 of 500 (dead letters 500-999) holds the record the target refuses: it aborts whole, and the replay stops.
    const error = await rejectionOf<KafkitError>(tool.replay({ collect: false }))
    expect(isKafkitError(error)).toBe(true)
    expect(error.context).toMatchObject({ topic: dlq, partition: 0, offset: '500', kafkaError: 'MESSAGE_TOO_LARGE' })
    expect(error.context.failed).toHaveLength(500)

    const inTarget = await replayedOffsets(source)
    expect([...inTarget.values()].every((n) => n === 1)).toBe(true)
    // Batch 1 only: nothing of the aborted batch is visible, nothing after it was sent.
    expect([...inTarget.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 500 }, (_, i) => String(i)))
    // The ledger lists exactly the records in the target: none committed is left out, none aborted is in.
    const noted = (await tool.list()).filter((e) => e.replayed).map((e) => e.offset)
    expect(noted.sort()).toEqual([...inTarget.keys()].sort())

    // The next replay (the refused record left out by its error code) sends only what the broker never took.
    const second = await tool.replay({ errorCodes: ['KAFKIT_HANDLER'], collect: false })
    expect(second).toMatchObject({ replayedCount: count - 1 - inTarget.size, skipped: { alreadyReplayed: inTarget.size, filtered: 1 } })
    const after = await replayedOffsets(source)
    expect(after.size).toBe(count - 1)
    expect([...after.entries()].filter(([, n]) => n !== 1)).toEqual([])
  })

  it('fails with a KafkitError naming the dead-letter topic, partition and offset of each dead letter of the aborted batch and the target, in the API and in `kafkit dlq replay --json`', async () => {
    const { source, dlq } = await topics('replay-error')
    await deadLetters(dlq, source, 10, 4)
    const error = await rejectionOf<KafkitError>(h.kafkit.deadLetters(dlq).replay())
    expect(error.code).toBe('KAFKIT_KAFKA')
    // The one batch of ten, aborted whole: every dead letter of it is named, the first as the position.
    const all = Array.from({ length: 10 }, (_, i) => ({ partition: 0, offset: String(i), target: source, outcome: 'not-written' }))
    expect(error.context).toMatchObject({ topic: dlq, partition: 0, offset: '0', dlqTopic: dlq, target: source, failed: all })
    expect(error.message).toContain(`${dlq}[0]@4`)
    expect(error.message).toContain('aborted')
    expect(error.message).toContain(source)
    expect(error.context.kafkaError).toBe('MESSAGE_TOO_LARGE')

    // The CLI: the one-line error names the same, and --json carries the records left out.
    const out: string[] = []
    const err: string[] = []
    const code = await runCli(['dlq', 'replay', dlq, '--json', '--no-progress', '--brokers', brokers.join(',')], { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd: process.cwd() })
    expect(code).toBe(3)
    expect(err.join('\n')).toContain(`${dlq}[0]@4 -> ${source}`)
    const report = JSON.parse(out.join('')) as { replayed: unknown[]; error: string; failed: unknown[] }
    // Nothing was committed the first time: the whole batch was tried again, and aborted again.
    expect(report.replayed).toEqual([])
    expect(report.failed).toEqual(all)
    expect(await replayedOffsets(source)).toEqual(new Map())
    expect(report.error).toContain(`${dlq}[0]@4`)

    // A target that does not exist: the replay fails at once (no metadata retries per record), naming it and each dead letter, and sends nothing.
    const missing = uniqueName('no-such-topic')
    const startedAt = Date.now()
    const absent = await rejectionOf<KafkitError>(h.kafkit.deadLetters(dlq).replay({ to: missing, force: true }))
    expect(Date.now() - startedAt).toBeLessThan(10_000)
    expect(absent.context).toMatchObject({ topic: dlq, partition: 0, offset: '0', target: missing })
    expect(absent.context.failed).toHaveLength(10)
    expect(absent.message).toContain(`${dlq}[0]@0 -> ${missing}`)
    expect(absent.message).toContain('does not exist')
    expect((await h.admin.listTopics()).includes(missing)).toBe(false)
  })

  it('is bounded by timeoutMs when the dead-letter topic is deleted while it is read', async () => {
    const { source, dlq } = await topics('replay-gone')
    // 6,000 records of 2 KB: the scan needs several fetches, so the topic is still being read when it goes.
    await deadLetters(dlq, source, 6_000, -1, 2_000)
    const tool = h.kafkit.deadLetters(dlq)
    let replayed = 0
    tool.on('replay.record', () => replayed++)
    const startedAt = Date.now()
    const replaying = rejectionOf<KafkitError>(tool.replay({ collect: false, ratePerSecond: 1_000, timeoutMs: 10_000 }))
    await waitFor(() => replayed > 0, { message: 'the replay started' })
    await h.admin.deleteTopics({ topics: [dlq] })
    const error = await replaying
    expect(error.code).toBe('KAFKIT_KAFKA')
    expect(error.message).toContain(dlq)
    // The reader drains what the scan buffered (2,000 records and a fetch, at 1,000/s), then
    // the scan waits 10 s (generous for a busy machine: it also covers the scan's start), not the 120 s default.
    expect(Date.now() - startedAt).toBeLessThan(60_000)
    // What was committed before is what the target holds.
    const inTarget = await replayedOffsets(source)
    expect(inTarget.size).toBe(replayed)
  })

  it('is bounded by timeoutMs when the target is deleted mid-replay: its sends fail then, and the ledger holds what was committed before', async () => {
    const { source, dlq } = await topics('replay-target-gone')
    await deadLetters(dlq, source, 3_000, -1)
    const tool = h.kafkit.deadLetters(dlq)
    const acknowledged: string[] = []
    tool.on('replay.record', (r) => acknowledged.push(r.offset))
    const startedAt = Date.now()
    const replaying = rejectionOf<KafkitError>(tool.replay({ collect: false, ratePerSecond: 500, timeoutMs: 10_000 }))
    await waitFor(() => acknowledged.length >= 100, { message: 'the replay started' })
    await h.admin.deleteTopics({ topics: [source] })
    const error = await replaying
    // The sends in flight fail after 10 s without an answer, not after the 120 s delivery timeout.
    expect(Date.now() - startedAt).toBeLessThan(60_000)
    expect(error.context).toMatchObject({ topic: dlq, partition: 0, target: source })
    const failed = (error.context.failed as { offset: string }[]).map((f) => f.offset)
    expect(failed.length).toBeGreaterThan(0)
    expect(error.message).toContain(`${dlq}[0]@${failed[0]} -> ${source}`)
    // The ledger: exactly the records committed before, none of those that failed.
    const noted = (await tool.list()).filter((e) => e.replayed).map((e) => e.offset)
    expect(noted).toEqual(acknowledged)
    expect(failed.some((o) => noted.includes(o))).toBe(false)
  })
})
