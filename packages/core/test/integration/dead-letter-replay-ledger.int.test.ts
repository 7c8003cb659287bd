// Contract: the replay ledger `<dlq>.replayed` never hides a dead letter it did not replay: a dead-letter topic deleted and created again keeps its old ledger, and every new dead letter at a reused offset is still replayed (each entry holds the replayed record's fingerprint); and a replay of a dead-letter topic that does not exist fails with a KafkitError naming it, in the API and in `kafkit dlq replay`, and creates no ledger topic.
import { runCli } from '@kafkit/cli'
import { rejectionOf, uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, inject, it } from 'vitest'
import type { KafkitError } from '../../src/errors.js'
import { KafkitHeaders } from '../../src/runtime/headers.js'
import { useHarness } from './consumer-harness.js'
import { readCommitted } from './transaction-helpers.js'

const { brokers } = inject('kafka')
const h = useHarness()

/** Writes dead letters `0..count-1` of `source` to partition 0 of `dlq`, values `<tag> <i>`, with `producer`. */
async function deadLetters(dlq: string, source: string, count: number, tag: string, producer = h.producer) {
  const now = Date.now()
  await producer.send({
    topic: dlq,
    acks: -1,
    messages: Array.from({ length: count }, (_, i) => ({
      key: `k${i}`,
      value: `${tag} ${i}`,
      partition: 0,
      headers: {
        [KafkitHeaders.originalTopic]: source,
        [KafkitHeaders.originalPartition]: '0',
        [KafkitHeaders.originalOffset]: String(i),
        [KafkitHeaders.originalGroup]: 'g',
        [KafkitHeaders.attempts]: '1',
        [KafkitHeaders.errorCode]: 'KAFKIT_HANDLER',
        [KafkitHeaders.failedAt]: String(now),
      },
    })),
  })
}

/** The values the target holds, as a read_committed reader finds them (replays write in transactions). */
async function valuesIn(topic: string): Promise<string[]> {
  return (await readCommitted(brokers, topic)).map((r) => r.value)
}

describe('the replay ledger', () => {
  it('replays every new dead letter of a dead-letter topic deleted and created again, although the old ledger lists their offsets', async () => {
    const source = uniqueName('recreated-src')
    const dlq = `${source}.dlq`
    const count = 300
    await h.createTopic(source, 1)
    await h.createTopic(dlq, 2)
    await deadLetters(dlq, source, count, 'old')
    const first = await h.kafkit.deadLetters(dlq).replay({ collect: false })
    expect(first.replayedCount).toBe(count)

    // The operator deletes the dead-letter topic (not its ledger) and the name is used again.
    await h.admin.deleteTopics({ topics: [dlq] })
    await waitFor(async () => !(await h.admin.listTopics()).includes(dlq), { timeoutMs: 30_000, message: `${dlq} deleted` })
    // Deletion finishes in the background: until then, creating the name again is refused (or answered "exists").
    await waitFor(
      async () => {
        try {
          return await h.admin.createTopics({ waitForLeaders: true, topics: [{ topic: dlq, numPartitions: 2, replicationFactor: 1 }] })
        } catch {
          return false
        }
      },
      { timeoutMs: 30_000, intervalMs: 500, message: `${dlq} created again` },
    )
    await waitFor(
      async () => {
        const [topic] = (await h.admin.fetchTopicMetadata({ topics: [dlq] })).topics
        return topic?.partitions.length === 2 && topic.partitions.every((p) => p.leader >= 0)
      },
      { timeoutMs: 30_000, intervalMs: 500, message: `${dlq} has leaders again` },
    )
    // A new producer: the harness's one still has the deleted topic's metadata.
    const producer = h.kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    try {
      await deadLetters(dlq, source, count, 'new', producer)
    } finally {
      await producer.disconnect()
    }
    const tool = h.kafkit.deadLetters(dlq)
    // Same partition, same offsets 0..299 as the ledger's entries: none of the new ones counts as replayed.
    const listed = await tool.list()
    expect(listed.map((e) => e.offset)).toEqual(Array.from({ length: count }, (_, i) => String(i)))
    expect(listed.filter((e) => e.replayed)).toEqual([])

    const second = await tool.replay({ collect: false })
    expect(second).toMatchObject({ replayedCount: count, skipped: { alreadyReplayed: 0 } })
    const values = await valuesIn(source)
    expect(values.filter((v) => v.startsWith('new ')).sort()).toEqual(Array.from({ length: count }, (_, i) => `new ${i}`).sort())
    expect(values.filter((v) => v.startsWith('old '))).toHaveLength(count)
    // And the ledger still does its job for the new records: a third replay sends nothing.
    expect(await tool.replay({ collect: false })).toMatchObject({ replayedCount: 0, skipped: { alreadyReplayed: count } })
    expect((await tool.list()).every((e) => e.replayed)).toBe(true)
  })

  it('fails a replay of a dead-letter topic that does not exist with a KafkitError naming it, and creates no ledger topic, in the API and the CLI', async () => {
    const missing = `${uniqueName('no-such')}.dlq`
    for (const dryRun of [false, true]) {
      const error = await rejectionOf<KafkitError>(h.kafkit.deadLetters(missing).replay({ dryRun }))
      expect(error.code).toBe('KAFKIT_CONFIG')
      expect(error.retriable).toBe(false)
      expect(error.context.topic).toBe(missing)
      expect(error.message).toContain(`'${missing}' does not exist`)
    }
    const err: string[] = []
    const code = await runCli(['dlq', 'replay', missing, '--no-progress', '--brokers', brokers.join(',')], { out: () => {}, err: (l) => err.push(l), env: {}, cwd: process.cwd() })
    expect(code).toBe(2)
    expect(err.join('\n')).toContain(`'${missing}' does not exist`)
    const topics = await h.admin.listTopics()
    expect(topics.filter((t) => t.startsWith(missing))).toEqual([])
  })
})
