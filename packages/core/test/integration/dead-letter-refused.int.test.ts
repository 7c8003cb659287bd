// Contract: a dead letter the broker refuses for good (larger than the dead-letter topic's max.message.bytes, also once its diagnostic headers are stripped) never lets its offset be committed or its partition flow on in silence: the consumer stops visibly (done rejects with a non-retriable KafkitError naming the record and the target topic, consumer.crash with restart: false, health crashed and not live) and leaves the group with the record uncommitted. (A retriable refusal holds the partition instead: replica-down.int.test.ts.)
import { uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineTopic, isKafkitError, json, type KafkitError, string } from '../../src/index.js'
import { useHarness } from './consumer-harness.js'

const h = useHarness()

const contractFor = (name: string) => defineTopic({ name, key: string(), value: json(z.object({ n: z.number() })) })
const committed = async (groupId: string, topic: string) => (await h.admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset
const high = async (topic: string) => (await h.admin.fetchTopicOffsets(topic))[0]!.high

/** A one-partition topic on the run's cluster with the given topic configs. */
async function createTopic(topic: string, config: Record<string, string> = {}): Promise<void> {
  await h.admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }],
  })
}

describe('a dead letter the broker refuses for good', () => {
  it('stops the consumer visibly, with the record uncommitted, when the broker refuses it for good', async () => {
    const topic = uniqueName('dlq-refused')
    const dlq = `${topic}.dlq`
    await createTopic(topic)
    // A dead letter of the 4,000-byte poison below cannot fit, diagnostics or not.
    await createTopic(dlq, { 'max.message.bytes': '1024' })
    const groupId = uniqueName('g')
    const handled: number[] = []
    const crashes: { restart: boolean; code: string }[] = []
    const consumer = h.consumer({ groupId, fromBeginning: true })
    consumer.on('consumer.crash', (e) => crashes.push({ restart: e.restart, code: (e.error as KafkitError).code }))
    consumer.handle(contractFor(topic), async (m) => void handled.push(m.value.n), { deadLetter: true })
    await h.produce(topic, [
      { key: 'a', value: JSON.stringify({ n: 1 }) },
      { key: 'b', value: `not json ${'x'.repeat(4_000)}` },
      { key: 'c', value: JSON.stringify({ n: 2 }) },
    ])
    const running = 'the consumer is still running'
    let error: unknown = running
    consumer.done.then(
      () => (error = 'stopped without an error'),
      (reason: unknown) => (error = reason),
    )
    // start() rejects too when the failure comes while it finishes; done says the same either way.
    await consumer.start().catch(() => {})
    await waitFor(() => error !== running, { timeoutMs: 45_000, message: 'the consumer stopped' }).catch(() => {})

    expect(isKafkitError(error), String(error)).toBe(true)
    const fatal = error as KafkitError
    expect(fatal.retriable).toBe(false)
    expect(fatal.message).toContain(`${topic}[0]@1`)
    expect(fatal.context).toMatchObject({ groupId, topic, partition: 0, offset: '1', target: dlq })
    expect(crashes).toEqual([{ restart: false, code: fatal.code }])
    expect(h.kafkit.health().consumers.find((c) => c.groupId === groupId)?.state).toBe('crashed')
    expect(h.kafkit.health().live).toBe(false)
    // Not skipped: the record behind it was never handled, and the group's offset stays at the refused record.
    expect(handled).toEqual([1])
    expect(['-1', '0', '1']).toContain(await committed(groupId, topic))
    expect(await high(dlq)).toBe('0')
    // The group was left, not held by a silent member.
    const { groups } = await h.admin.describeGroups([groupId])
    expect(groups[0]!.members).toEqual([])
  }, 90_000)
})
