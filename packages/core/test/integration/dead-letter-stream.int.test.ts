// Contract: the dead-letter tools stream: `stream()` yields matching dead letters as it reads (and stops reading when the loop breaks), `inspect` reads from the wanted offset, a slow reader is not taken for a stalled scan, and a replay streams in batches without collecting (`collect: false`), reporting progress (done, total, remaining, rate) through the API and in `kafkit dlq replay`.
import { runCli } from '@kafkit/cli'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, inject, it } from 'vitest'
import { KafkitHeaders } from '../../src/runtime/headers.js'
import type { ReplayProgress } from '../../src/index.js'
import { scanTopic } from '../../src/internal/transport/topic-scan.js'
import { useHarness } from './consumer-harness.js'
import { readCommitted } from './transaction-helpers.js'

const { brokers } = inject('kafka')
const h = useHarness()

/** Writes `count` dead letters of `source` round-robin over the DLQ's partitions; odd ones KAFKIT_HANDLER, even ones KAFKIT_VALIDATION. */
async function deadLetters(dlq: string, source: string, count: number, partitions: number) {
  const now = Date.now()
  for (let from = 0; from < count; from += 2_000) {
    const messages = []
    for (let i = from; i < Math.min(count, from + 2_000); i++) {
      messages.push({
        key: `k${i}`,
        value: `payload ${i}`,
        partition: i % partitions,
        headers: {
          [KafkitHeaders.originalTopic]: source,
          [KafkitHeaders.originalPartition]: '0',
          [KafkitHeaders.originalOffset]: String(i),
          [KafkitHeaders.originalGroup]: 'g',
          [KafkitHeaders.attempts]: '1',
          [KafkitHeaders.errorCode]: i % 2 === 1 ? 'KAFKIT_HANDLER' : 'KAFKIT_VALIDATION',
          [KafkitHeaders.failedAt]: String(now),
        },
      })
    }
    await h.producer.send({ topic: dlq, acks: -1, messages })
  }
}

describe('dead-letter tools stream', () => {
  it('stream() yields matching dead letters as it reads, a break ends the read, inspect reads from the offset', async () => {
    const source = uniqueName('stream-src')
    const dlq = `${source}.dlq`
    await h.createTopic(dlq, 3)
    await deadLetters(dlq, source, 3_000, 3)
    const tool = h.kafkit.deadLetters(dlq)

    const handler: string[] = []
    for await (const entry of tool.stream({ errorCodes: ['KAFKIT_HANDLER'] })) handler.push(`${entry.partition}:${entry.offset}:${entry.info.errorCode}`)
    expect(handler).toHaveLength(1_500)
    expect(handler.every((e) => e.endsWith(':KAFKIT_HANDLER'))).toBe(true)
    // Partition order, oldest first within a partition.
    for (const p of [0, 1, 2]) {
      const offsets = handler.filter((e) => e.startsWith(`${p}:`)).map((e) => Number(e.split(':')[1]))
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b))
    }

    let taken = 0
    for await (const _ of tool.stream()) if (++taken === 5) break
    expect(taken).toBe(5)
    expect(await tool.list({ partition: 2, errorCodes: ['KAFKIT_VALIDATION'] })).toHaveLength(500)

    const deep = await tool.inspect(1, '987')
    expect(deep?.value?.toString()).toBe(`payload ${987 * 3 + 1}`)
    expect(deep?.info.originalOffset).toBe(String(987 * 3 + 1))
    expect(await tool.inspect(1, '1000')).toBeUndefined()
  })

  it('a slow reader is not a stalled scan: the timeout counts only time the scan itself waits', async () => {
    const topic = uniqueName('slow-reader')
    await h.createTopic(topic, 1)
    await h.produce(topic, Array.from({ length: 25 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })))
    const seen: string[] = []
    // 25 records at 500 ms each is 12.5 s of the reader's time, past the 10 s bound. The bound
    // also covers the scan's own start (connect, group join, first fetch): generous for a busy machine.
    await scanTopic(h.kafka, topic, async (record) => {
      seen.push(record.value!.toString())
      await new Promise((r) => setTimeout(r, 500))
    }, 10_000)
    expect(seen).toHaveLength(25)
  })

  it('replay({ collect: false }) streams in batches, counts without collecting and reports progress to the end', async () => {
    const source = uniqueName('replay-src')
    const dlq = `${source}.dlq`
    await h.createTopic(source, 3)
    await h.createTopic(dlq, 3)
    await deadLetters(dlq, source, 6_000, 3)
    const tool = h.kafkit.deadLetters(dlq)
    const progress: ReplayProgress[] = []
    let events = 0
    tool.on('replay.record', () => events++)
    const report = await tool.replay({ collect: false, onProgress: (p) => progress.push(p), progressIntervalMs: 1 })
    expect(report).toMatchObject({ replayed: [], replayedCount: 6_000, scanned: 6_000, skipped: { filtered: 0, alreadyReplayed: 0, noTarget: 0 } })
    expect(events).toBe(6_000)
    const last = progress[progress.length - 1]!
    expect(last).toMatchObject({ finished: true, done: 6_000, total: 6_000, remaining: 0, replayed: 6_000 })
    const running = progress.filter((p) => !p.finished)
    expect(running.length).toBeGreaterThan(0)
    for (const p of running) {
      expect(p.total).toBe(6_000)
      expect(p.remaining).toBe(6_000 - p.done)
      expect(p.ratePerSecond).toBeGreaterThan(0)
    }
    expect(running.map((p) => p.done)).toEqual([...running.map((p) => p.done)].sort((a, b) => a - b))

    // Each record once, in its DLQ partition's order, and the ledger (one range per partition) skips them all next time.
    const back = await h.readAll(source, 6_000)
    expect(new Set(back.map((r) => r.key!.toString())).size).toBe(6_000)
    const again = await tool.replay({ collect: false })
    expect(again).toMatchObject({ replayedCount: 0, scanned: 6_000, skipped: { alreadyReplayed: 6_000 } })
  })

  it('kafkit dlq replay shows progress (done of total, rate, time left) and streams its --json report', async () => {
    const source = uniqueName('cli-progress')
    const dlq = `${source}.dlq`
    await h.createTopic(source, 1)
    await h.createTopic(dlq, 1)
    await deadLetters(dlq, source, 300, 1)
    const out: string[] = []
    const err: string[] = []
    const status: string[] = []
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), status: (l: string) => void status.push(l), env: {}, cwd: process.cwd() }
    // 300 records at 150/s: about 2 s, so the terminal's status line is drawn at least once.
    const code = await runCli(['dlq', 'replay', dlq, '--rate', '150', '--json', '--brokers', brokers.join(',')], io)
    expect(code, err.join('\n')).toBe(0)
    const drawn = status.filter((l) => l !== '')
    expect(drawn.length).toBeGreaterThan(0)
    for (const line of drawn) expect(line).toMatch(/^replay: \d+\/300 read \(\d+%\), \d+ replayed, \d+ skipped, \d+\/s(, ~\d+s left)?$/)
    const report = JSON.parse(out.join('\n')) as { dryRun: boolean; replayed: { offset: string }[]; replayedCount: number; skipped: { alreadyReplayed: number } }
    expect(report.dryRun).toBe(false)
    expect(report.replayedCount).toBe(300)
    expect(report.replayed.map((r) => r.offset)).toEqual(Array.from({ length: 300 }, (_, i) => String(i)))
    // Committed in transactions: the high watermark counts their markers too, so the records are counted as read_committed finds them.
    expect(await readCommitted(brokers, source)).toHaveLength(300)
  })
})
