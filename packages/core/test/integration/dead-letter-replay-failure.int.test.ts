// Contract: a replay that fails part way (one dead letter the target refuses) notes in its ledger exactly the records the broker acknowledged, so the next replay sends only the others and none twice; its KafkitError names the dead-letter topic, partition and offset of each record not replayed and the target topic; and its `timeoutMs` bounds it when the dead-letter topic or the target goes away mid-replay (the reads and the sends, not the 120 s defaults).
import { runCli } from '@kafkit/cli'
import { rejectionOf, uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, inject, it } from 'vitest'
import { isKafkitError, type KafkitError } from '../../src/errors.js'
import { KafkitHeaders } from '../../src/runtime/headers.js'
import { useHarness } from './consumer-harness.js'

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

/** DLQ offsets of the records in the target, as their kafkit-replay-of headers say, with how often each came. */
async function replayedOffsets(source: string, dlq: string): Promise<Map<string, number>> {
  const high = Number((await h.admin.fetchTopicOffsets(source))[0]!.high)
  const counts = new Map<string, number>()
  if (high === 0) return counts
  for (const record of await h.readAll(source, high)) {
    const of = record.headers[KafkitHeaders.replayOf]?.toString() ?? ''
    expect(of.startsWith(`${dlq}/0/`)).toBe(true)
    const offset = of.slice(`${dlq}/0/`.length)
    counts.set(offset, (counts.get(offset) ?? 0) + 1)
  }
  return counts
}

describe('a replay that fails part way', () => {
  it('notes in the ledger exactly what the broker acknowledged: the next replay sends only the rest, none twice', async () => {
    const { source, dlq } = await topics('replay-partial')
    const count = 3_000
    const oversized = 700
    await deadLetters(dlq, source, count, oversized)
    const tool = h.kafkit.deadLetters(dlq)

    // Batch 2 of 500 holds the record the target refuses; batches 3 and 4 are in flight by then.
    expect(isKafkitError(await rejectionOf(tool.replay({ collect: false })))).toBe(true)

    const inTarget = await replayedOffsets(source, dlq)
    expect([...inTarget.values()].every((n) => n === 1)).toBe(true)
    expect(inTarget.has(String(oversized))).toBe(false)
    // Batch 1, and batch 2 but the refused record, at least (and what was in flight after it).
    expect(inTarget.size).toBeGreaterThanOrEqual(999)
    // The ledger lists exactly the records in the target: none acknowledged is left out, none refused is in.
    const noted = (await tool.list()).filter((e) => e.replayed).map((e) => e.offset)
    expect(noted.sort()).toEqual([...inTarget.keys()].sort())

    // The next replay (the refused record left out by its error code) sends only what the broker never took.
    const second = await tool.replay({ errorCodes: ['KAFKIT_HANDLER'], collect: false })
    expect(second).toMatchObject({ replayedCount: count - 1 - inTarget.size, skipped: { alreadyReplayed: inTarget.size, filtered: 1 } })
    const after = await replayedOffsets(source, dlq)
    expect(after.size).toBe(count - 1)
    expect([...after.entries()].filter(([, n]) => n !== 1)).toEqual([])
  })

  it('fails with a KafkitError naming the dead-letter topic, partition and offset of the record not replayed and the target, in the API and in `kafkit dlq replay --json`', async () => {
    const { source, dlq } = await topics('replay-error')
    await deadLetters(dlq, source, 10, 4)
    const error = await rejectionOf<KafkitError>(h.kafkit.deadLetters(dlq).replay())
    expect(error.code).toBe('KAFKIT_KAFKA')
    expect(error.context).toMatchObject({ topic: dlq, partition: 0, offset: '4', dlqTopic: dlq, target: source, failed: [{ partition: 0, offset: '4', target: source, outcome: 'not-written' }] })
    expect(error.message).toContain(`${dlq}[0]@4`)
    expect(error.message).toContain(source)
    expect(error.context.kafkaError).toBe('MESSAGE_TOO_LARGE')

    // The CLI: the one-line error names the same, and --json carries the records left out.
    const out: string[] = []
    const err: string[] = []
    const code = await runCli(['dlq', 'replay', dlq, '--json', '--no-progress', '--brokers', brokers.join(',')], { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd: process.cwd() })
    expect(code).toBe(3)
    expect(err.join('\n')).toContain(`${dlq}[0]@4 -> ${source}`)
    const report = JSON.parse(out.join('')) as { replayed: unknown[]; error: string; failed: unknown[] }
    // The other nine were acknowledged and noted the first time: only the refused one was tried again.
    expect(report.replayed).toEqual([])
    expect(report.failed).toEqual([{ partition: 0, offset: '4', target: source, outcome: 'not-written' }])
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
    // What was acknowledged before is in the ledger, as the target holds it.
    const inTarget = await replayedOffsets(source, dlq)
    expect(inTarget.size).toBe(replayed)
  })

  it('is bounded by timeoutMs when the target is deleted mid-replay: its sends fail then, and the ledger holds what was acknowledged before', async () => {
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
    // The ledger: exactly the records acknowledged before, none of those that failed.
    const noted = (await tool.list()).filter((e) => e.replayed).map((e) => e.offset)
    expect(noted).toEqual(acknowledged)
    expect(failed.some((o) => noted.includes(o))).toBe(false)
  })
})
