// Contract: two replays of one dead-letter topic running at the same time (two clients) send each dead letter to the target exactly once as a read_committed reader sees it, and the ledger `<dlq>.replayed` lists each exactly once: the later replay fences the earlier, which stops with a KAFKIT_PRODUCER_FENCED KafkitError naming the dead-letter topic.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { isKafkitError, type KafkitError } from '../../src/errors.js'
import { Kafkit } from '../../src/index.js'
import { useHarness } from './consumer-harness.js'
import { deadLetterMessages } from './dead-letters.js'
import { readCommitted } from './transaction-helpers.js'

const { brokers } = inject('kafka')
const h = useHarness()
const second = new Kafkit({ clientId: 'kafkit-replay-second', brokers, logLevel: 'nothing' })
afterAll(async () => {
  await second.close()
})

const PARTITIONS = 2

/** `count` dead letters of `source` in `dlq`, spread over its partitions. */
async function deadLetters(source: string, dlq: string, count: number) {
  await h.createTopic(source, PARTITIONS)
  await h.createTopic(dlq, PARTITIONS)
  await h.producer.send({ topic: dlq, acks: -1, messages: deadLetterMessages(source, count, PARTITIONS) })
}

/** Every dead letter (its value, `payload <i>`) a read_committed reader finds in `target`, with how often. */
async function copiesIn(target: string): Promise<Map<string, number>> {
  const copies = new Map<string, number>()
  for (const record of await readCommitted(brokers, target)) copies.set(record.value, (copies.get(record.value) ?? 0) + 1)
  return copies
}

/** Ledger entries (keys `<partition>:<offset>`) a read_committed reader finds, with how often. */
async function ledgerEntries(dlq: string): Promise<Map<string, number>> {
  const entries = new Map<string, number>()
  for (const record of await readCommitted(brokers, `${dlq}.replayed`)) entries.set(record.key!, (entries.get(record.key!) ?? 0) + 1)
  return entries
}

/** What one replay did: its report, or its error, and the records it reported replayed. */
async function outcome(replay: Promise<{ replayedCount: number }>) {
  try {
    return { ok: true as const, count: (await replay).replayedCount }
  } catch (error) {
    return { ok: false as const, error: error as KafkitError }
  }
}

function expectFenced(error: KafkitError, dlq: string) {
  expect(isKafkitError(error), String(error)).toBe(true)
  expect(error.code).toBe('KAFKIT_PRODUCER_FENCED')
  expect(error.retriable).toBe(false)
  expect(error.message).toContain(dlq)
  expect(error.message).toContain('another replay')
  expect(error.context).toMatchObject({ topic: dlq, dlqTopic: dlq })
}

describe('two replays of one dead-letter topic at once', () => {
  it('started together: each dead letter reaches the target once, and the ledger lists each once', async () => {
    const source = uniqueName('replay-twice-src')
    const dlq = `${source}.dlq`
    const count = 600
    await deadLetters(source, dlq, count)
    const a = h.kafkit.deadLetters(dlq)
    const b = second.deadLetters(dlq)
    const reported: string[] = []
    for (const tool of [a, b]) tool.on('replay.record', (r) => reported.push(`${r.partition}/${r.offset}`))

    const results = await Promise.all([outcome(a.replay({ collect: false })), outcome(b.replay({ collect: false }))])
    // At least one replay ran to its end; one that did not was fenced by the other.
    expect(results.some((r) => r.ok)).toBe(true)
    for (const r of results) if (!r.ok) expectFenced(r.error, dlq)

    const copies = await copiesIn(source)
    expect(copies.size).toBe(count)
    expect([...copies].filter(([, n]) => n !== 1)).toEqual([])
    const ledger = await ledgerEntries(dlq)
    expect(ledger.size).toBe(count)
    expect([...ledger].filter(([, n]) => n !== 1)).toEqual([])
    // What the two replays reported as replayed is what they committed: each dead letter once.
    expect(reported).toHaveLength(count)
    expect(new Set(reported).size).toBe(count)
    expect((await a.list()).every((e) => e.replayed)).toBe(true)
  })

  it('one mid-way when the other starts: the first is fenced and stops with a KafkitError naming the topic; nothing is sent twice', async () => {
    const source = uniqueName('replay-fenced-src')
    const dlq = `${source}.dlq`
    const count = 600
    await deadLetters(source, dlq, count)
    const first = h.kafkit.deadLetters(dlq)
    const later = second.deadLetters(dlq)
    const byFirst: string[] = []
    const byLater: string[] = []
    first.on('replay.record', (r) => byFirst.push(`${r.partition}/${r.offset}`))
    later.on('replay.record', (r) => byLater.push(`${r.partition}/${r.offset}`))

    // The first replay is slow (50 records/s: 12 s for all, so a cold second client registers well before it ends); the second starts once it committed some.
    const slow = outcome(first.replay({ collect: false, ratePerSecond: 50 }))
    await waitFor(() => byFirst.length >= 50, { message: 'the first replay committed some records' })
    const fast = await outcome(later.replay({ collect: false }))
    const slowResult = await slow

    const copies = await copiesIn(source)
    expect(copies.size).toBe(count)
    expect([...copies].filter(([, n]) => n !== 1)).toEqual([])
    const ledger = await ledgerEntries(dlq)
    expect(ledger.size).toBe(count)
    expect([...ledger].filter(([, n]) => n !== 1)).toEqual([])

    expect(fast.ok, fast.ok ? '' : String(fast.error)).toBe(true)
    expect(slowResult.ok).toBe(false)
    if (!slowResult.ok) expectFenced(slowResult.error, dlq)
    // The later replay skipped what the first one had committed, and sent the rest.
    expect(byFirst.filter((p) => byLater.includes(p))).toEqual([])
    expect(byFirst.length + byLater.length).toBe(count)
  })
})
