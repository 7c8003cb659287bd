// Contract: a contract with `tombstones: true` sends `value: null` as a record without a value (plain send, transaction, pipeline output), hands it to handlers as `value: null` with its key, and on a compacted topic compaction then removes the key's older values; without the declaration a record without a value stays poison and is dead-lettered.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, Kafkit, string } from '../../src/index.js'
import { parseDeadLetterHeaders } from '../../src/runtime/headers.js'
import { scanTopic } from '../../src/internal/transport/topic-scan.js'
import { type Harness, harness } from './consumer-harness.js'

const { brokers } = inject('kafka')
let h: Harness
let kafka: Kafkit
beforeAll(async () => {
  h = await harness(brokers)
  kafka = new Kafkit({ clientId: 'core-tombstones', brokers, logLevel: 'nothing' })
})
afterAll(async () => {
  await kafka?.close()
  await h?.close()
})

const Profile = z.object({ name: z.string() })
const profiles = (name: string, config: Record<string, string> = {}) =>
  defineTopic({ name, key: string(), value: json(Profile), tombstones: true, partitions: 1, replicationFactor: 1, config: { 'cleanup.policy': 'compact', ...config } })

describe('tombstones', () => {
  it('producer.send writes value: null, and a handler receives value: null with the key', async () => {
    const Profiles = profiles(uniqueName('profiles'))
    await kafka.admin().ensureTopics([Profiles])
    const producer = kafka.producer()
    await producer.send(Profiles, [
      { key: 'u1', value: { name: 'Ann' } },
      { key: 'u2', value: { name: 'Bob' } },
      { key: 'u1', value: null },
    ])
    const raw = await h.readAll(Profiles.name, 3)
    expect(raw.map((r) => [r.key?.toString(), r.value?.toString() ?? null])).toEqual([
      ['u1', '{"name":"Ann"}'],
      ['u2', '{"name":"Bob"}'],
      ['u1', null],
    ])

    const seen: [string, { name: string } | null][] = []
    let dead = 0
    const consumer = h.consumer({ groupId: uniqueName('g'), fromBeginning: true })
    consumer.on('dlq.dispatched', () => dead++)
    consumer.handle(Profiles, async ({ key, value }) => void seen.push([key, value]))
    await consumer.start()
    await waitFor(() => seen.length === 3, { message: 'three records handled' })
    await consumer.stop()
    expect(seen).toEqual([
      ['u1', { name: 'Ann' }],
      ['u2', { name: 'Bob' }],
      ['u1', null],
    ])
    expect(dead).toBe(0)
  })

  it('without tombstones: true a record without a value stays poison: dead-lettered, not handled', async () => {
    const topic = uniqueName('plain')
    await h.createTopic(topic)
    const Plain = defineTopic({ name: topic, key: string(), value: json(Profile) })
    await h.produce(topic, [{ key: 'u1', value: null as unknown as string }, { key: 'u2', value: '{"name":"Bob"}' }])
    const handled: (string | null)[] = []
    const consumer = h.consumer({ groupId: uniqueName('g'), fromBeginning: true })
    consumer.handle(Plain, async ({ key }) => void handled.push(key))
    await consumer.start()
    await waitFor(() => handled.includes('u2'), { message: 'the record after the tombstone handled' })
    await consumer.stop()
    expect(handled).toEqual(['u2'])
    const [dead] = await h.readAll(`${topic}.dlq`, 1)
    expect(dead!.value).toBeNull()
    expect(parseDeadLetterHeaders(dead!.headers)).toMatchObject({ errorCode: 'KAFKIT_VALIDATION', originalOffset: '0' })
  })

  it('a transaction and a pipeline output carry tombstones', async () => {
    const Input = profiles(uniqueName('tomb-in'))
    const Output = profiles(uniqueName('tomb-out'))
    await kafka.admin().ensureTopics([Input, Output])
    const producer = kafka.producer({ transactionalId: uniqueName('tomb-tx') })
    await producer.transaction(async (tx) => {
      await tx.send(Input, [
        { key: 'a', value: { name: 'A' } },
        { key: 'a', value: null },
      ])
    })
    // read_committed, as kafkajs reads by default: the committed tombstone is there, without a value.
    const raw = await h.readAll(Input.name, 2)
    expect(raw.map((r) => [r.key?.toString(), r.value?.toString() ?? null])).toEqual([
      ['a', '{"name":"A"}'],
      ['a', null],
    ])

    let committed = 0
    const pipeline = kafka
      .pipeline({ groupId: uniqueName('g'), transactionalId: uniqueName('tomb-pipe'), fromBeginning: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, shutdown: false })
      .from(Input)
      // A tombstone in, a tombstone out: a derived compacted view deletes the key as well.
      .to(Output, ({ key, value }) => ({ key, value: value === null ? null : { name: value.name.toLowerCase() } }))
    pipeline.on('pipeline.committed', (e) => (committed += e.inputs))
    await pipeline.start()
    try {
      await waitFor(() => committed >= 2, { timeoutMs: 60_000, message: 'pipeline committed both inputs' })
    } finally {
      await pipeline.stop()
    }
    const out = await h.readAll(Output.name, 2)
    expect(out.map((r) => [r.key?.toString(), r.value?.toString() ?? null])).toEqual([
      ['a', '{"name":"a"}'],
      ['a', null],
    ])
  })

  it('on a compacted topic, compaction removes the older values of a key deleted by a tombstone', async () => {
    // Small segments and an eager cleaner, so compaction runs within the test (the broker's cleaner wakes every 15 s).
    const Profiles = profiles(uniqueName('compact'), { 'segment.ms': '100', 'min.cleanable.dirty.ratio': '0.001', 'min.compaction.lag.ms': '0' })
    await kafka.admin().ensureTopics([Profiles])
    const producer = kafka.producer()
    await producer.send(Profiles, [
      { key: 'u1', value: { name: 'Ann' } },
      { key: 'u2', value: { name: 'Bob' } },
      { key: 'u1', value: null },
    ])
    let readable: [string | undefined, string | null][] = []
    await waitFor(
      async () => {
        // Each write rolls the 100 ms segment, so the one before it becomes cleanable.
        await producer.send(Profiles, { key: 'filler', value: { name: 'x' } })
        const all: [string | undefined, string | null][] = []
        await scanTopic(h.kafka, Profiles.name, (r) => void all.push([r.key?.toString(), r.value?.toString() ?? null]))
        readable = all.filter(([key]) => key !== 'filler')
        return !readable.some(([key, value]) => key === 'u1' && value !== null)
      },
      { timeoutMs: 90_000, intervalMs: 2_000, message: 'compaction removed the value the tombstone deleted' },
    )
    expect(readable).toEqual([
      ['u2', '{"name":"Bob"}'],
      ['u1', null],
    ])
  })
})

