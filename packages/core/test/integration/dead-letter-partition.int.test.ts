// Contract: a dead letter (and a retry-topic copy) keeps its source partition number when the target topic has that partition; otherwise a keyed record goes to its key's partition (murmur2) and a keyless one to the source partition modulo the partition count, from a consumer and from a pipeline alike.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import { defineTopic } from '../../src/contract.js'
import { partitionForKey } from '../../src/partitioner.js'
import { json } from '../../src/serdes/json.js'
import { string } from '../../src/serdes/string.js'
import { useHarness } from './consumer-harness.js'
import { readCommitted } from './transaction-helpers.js'

const { brokers } = inject('kafka')
const h = useHarness()

const Value = z.object({ n: z.number() })
const keyed = (name: string) => defineTopic({ name, key: string(), value: json(Value) })
const keyless = (name: string) => defineTopic({ name, value: json(Value) })

/** Keys written to a partition their murmur2 hash does not pick, so "source" and "by key" differ. */
function misplacedKeys(partitions: number, perPartition: number) {
  const out: { key: string; partition: number }[] = []
  for (let source = 0; source < partitions; source++) {
    for (let i = 0; out.filter((e) => e.partition === source).length < perPartition; i++) {
      const key = `k-${source}-${i}`
      if (partitionForKey(key, partitions) !== source) out.push({ key, partition: source })
    }
  }
  return out
}

describe('dead letters keep their partition', () => {
  it('a DLT with as many partitions (created by the consumer) gets each dead letter at its source partition, keyed or not', async () => {
    const topic = uniqueName('dlp-same')
    const bare = uniqueName('dlp-same-nokey')
    await h.createTopic(topic, 4)
    await h.createTopic(bare, 4)
    const records = misplacedKeys(4, 3)
    const consumer = h.consumer({ groupId: uniqueName('g'), fromBeginning: true })
    let dead = 0
    consumer.on('dlq.dispatched', () => dead++)
    consumer.handle(keyed(topic), async () => {})
    consumer.handle(keyless(bare), async () => {})
    await consumer.start()
    // Not JSON: poison, dead-lettered at once.
    await h.produce(topic, records.map(({ key, partition }) => ({ key, partition, value: `poison ${key}` })))
    await h.produce(bare, [0, 1, 2, 3].flatMap((partition) => [1, 2, 3].map((i) => ({ partition, value: `poison ${partition}-${i}` }))))
    await waitFor(() => dead >= 24, { timeoutMs: 60_000, message: '24 dead letters' })
    await consumer.stop()

    const dlq = await h.readAll(`${topic}.dlq`, 12)
    expect(dlq.map((r) => [r.key!.toString(), r.partition]).sort()).toEqual(records.map((r) => [r.key, r.partition]).sort())
    const bareDlq = await h.readAll(`${bare}.dlq`, 12)
    for (const r of bareDlq) expect(r.partition).toBe(Number(/poison (\d)-/.exec(r.value!.toString())![1]))
  })

  it('a DLT with fewer partitions: a source partition it has is kept, else keyed records go by murmur2 of the key, keyless ones to the source partition modulo the count', async () => {
    const topic = uniqueName('dlp-fewer')
    const bare = uniqueName('dlp-fewer-nokey')
    await h.createTopic(topic, 4)
    await h.createTopic(bare, 4)
    await h.createTopic(`${topic}.dlq`, 2)
    await h.createTopic(`${bare}.dlq`, 2)
    const records = misplacedKeys(4, 2)
    const consumer = h.consumer({ groupId: uniqueName('g'), fromBeginning: true })
    let dead = 0
    consumer.on('dlq.dispatched', () => dead++)
    consumer.handle(keyed(topic), async () => {})
    consumer.handle(keyless(bare), async () => {})
    await consumer.start()
    await h.produce(topic, records.map(({ key, partition }) => ({ key, partition, value: 'poison' })))
    await h.produce(bare, [0, 1, 2, 3].flatMap((partition) => [1, 2, 3].map((i) => ({ partition, value: `poison ${partition}-${i}` }))))
    await waitFor(() => dead >= 20, { timeoutMs: 60_000, message: '20 dead letters' })
    await consumer.stop()

    // Source partitions 0 and 1 exist in the DLT and are kept; 2 and 3 do not: by key.
    const dlq = await h.readAll(`${topic}.dlq`, 8)
    const sourceOf = new Map(records.map((r) => [r.key, r.partition]))
    for (const r of dlq) {
      const source = sourceOf.get(r.key!.toString())!
      expect(r.partition).toBe(source < 2 ? source : partitionForKey(r.key!.toString(), 2))
    }
    expect(dlq.filter((r) => sourceOf.get(r.key!.toString())! >= 2 && r.partition !== sourceOf.get(r.key!.toString())! % 2).length).toBeGreaterThan(0)
    const bareDlq = await h.readAll(`${bare}.dlq`, 12)
    for (const r of bareDlq) expect(r.partition).toBe(Number(/poison (\d)-/.exec(r.value!.toString())![1]) % 2)
  })

  it('a retry-topic copy and the dead letter after the last tier stay at the source partition', async () => {
    const topic = uniqueName('dlp-retry')
    await h.createTopic(topic, 4)
    const records = misplacedKeys(4, 1)
    const groupId = uniqueName('g')
    const consumer = h.consumer({ groupId, fromBeginning: true })
    let dead = 0
    consumer.on('dlq.dispatched', () => dead++)
    consumer.handle(keyed(topic), async () => {
      throw new Error('always fails')
    }, { retry: false, retryTopics: ['500ms'] })
    await consumer.start()
    await h.produce(topic, records.map(({ key, partition }) => ({ key, partition, value: JSON.stringify({ n: 1 }) })))
    await waitFor(() => dead >= 4, { timeoutMs: 60_000, message: '4 dead letters after the retry tier' })
    await consumer.stop()

    const expected = records.map((r) => [r.key, r.partition]).sort()
    const retried = await h.readAll(`${topic}.${groupId}.retry.500ms`, 4)
    expect(retried.map((r) => [r.key!.toString(), r.partition]).sort()).toEqual(expected)
    const dlq = await h.readAll(`${topic}.dlq`, 4)
    expect(dlq.map((r) => [r.key!.toString(), r.partition]).sort()).toEqual(expected)
  })

  it("a pipeline's dead letters, written in its transaction, keep their source partition", async () => {
    const Input = defineTopic({ name: uniqueName('dlp-pipe-in'), key: string(), value: json(Value), partitions: 4, replicationFactor: 1 })
    const Output = defineTopic({ name: uniqueName('dlp-pipe-out'), key: string(), value: json(Value), partitions: 1, replicationFactor: 1 })
    await h.kafkit.admin().ensureTopics([Input, Output])
    const records = misplacedKeys(4, 2)
    await h.produce(Input.name, records.map(({ key, partition }) => ({ key, partition, value: 'poison' })))
    let committed = 0
    const pipeline = h.kafkit
      .pipeline({ groupId: uniqueName('g'), transactionalId: uniqueName('tx'), fromBeginning: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, shutdown: false })
      .from(Input)
      .to(Output, ({ key, value }) => ({ key, value }))
    pipeline.on('pipeline.committed', (e) => (committed += e.inputs))
    await pipeline.start()
    try {
      await waitFor(() => committed >= 8, { timeoutMs: 60_000, message: '8 inputs dead-lettered and committed by the pipeline' })
    } finally {
      await pipeline.stop()
    }
    const dlq = await readCommitted(brokers, `${Input.name}.dlq`)
    expect(dlq.map((r) => [r.key, r.partition]).sort()).toEqual(records.map((r) => [r.key, r.partition]).sort())
  })
})
