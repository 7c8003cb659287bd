// Contract: while the broker refuses a topic's writes because a replica is down (kill -9 of a broker; min.insync.replicas above the in-sync replicas left: NOT_ENOUGH_REPLICAS), no offset moves past work that is nowhere safe: a consumer's dead letter holds its partition (nothing behind it handled or committed) and is written once when the broker takes writes again; a pipeline's refused transaction aborts and it resumes from the group's committed offset, every input with exactly one committed output, without stopping; a producer holds at most maxQueuedBytes of refused records (later sends wait for room), and once the broker takes writes every send is written once, in call order; a producer's disconnect() waits for sends the broker still refuses, refuses new ones, and ends once they are written; a consumer's retry-topic copy the broker refuses holds its partition like a dead letter, and is written and retried once when the broker takes it; a send the broker refuses for longer than deliveryTimeoutMs fails then, not-written, and nothing of it is in the topic; a sendBatch taken for one topic and refused for another fails partial, its report matching the log.
import { type KafkaCluster, rejectionOf, startKafka, uniqueName, waitFor } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, Kafkit, type KafkitError, type PartitionDeliveryReport, string } from '../../src/index.js'
import { sleep } from '../../src/runtime/heartbeat.js'
import { readCommitted } from './transaction-helpers.js'

const Event = z.object({ n: z.number() })
// Created before the kill: the dead-letter and output topics have a replica on broker 2, the others do not.
const names = { source: uniqueName('held-src'), input: uniqueName('refused-in'), output: uniqueName('refused-out'), buffer: uniqueName('refused-buffer'), drain: uniqueName('refused-drain'), retried: uniqueName('held-retry-src'), expiring: uniqueName('refused-expiring'), partialTaken: uniqueName('partial-taken'), partialRefused: uniqueName('partial-refused') }
// The group that reads `retried`, and its retry topic (kafkit's default name), made before the kill like the others.
const retryGroup = uniqueName('g')
const retryTopic = `${names.retried}.${retryGroup}.retry.1s`
const dlq = `${names.source}.dlq`

let cluster: KafkaCluster
/** The brokers still serving (broker 2 is killed in beforeAll). */
const live = () => cluster.brokers.slice(0, 2)
let raw: InstanceType<typeof kafkajs.Kafka>
let admin: kafkajs.Admin
let kafka: Kafkit

beforeAll(async () => {
  // Internal topics replicated on 2 brokers: created on first use, after the kill, on the live ones,
  // so the group and transaction coordinators never sit on the dead broker.
  cluster = await startKafka({
    backend: 'jvm',
    brokers: 3,
    brokerConfig: { 'offsets.topic.replication.factor': '2', 'transaction.state.log.replication.factor': '2', 'transaction.state.log.min.isr': '1' },
    log: () => {},
  })
  raw = new kafkajs.Kafka({ clientId: 'kafkit-replica-down-test', brokers: live(), logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 10 } })
  admin = raw.admin()
  await admin.connect()
  const on = (replicas: number[], minInsync: string) => ({ replicaAssignment: [{ partition: 0, replicas }], configEntries: [{ name: 'min.insync.replicas', value: minInsync }] })
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: names.source, ...on([0, 1], '1') },
      { topic: dlq, ...on([0, 1, 2], '3') },
      { topic: names.input, ...on([0, 1], '1') },
      { topic: names.output, ...on([0, 1, 2], '2') },
      { topic: names.buffer, ...on([0, 1, 2], '3') },
      { topic: names.drain, ...on([0, 1, 2], '3') },
      { topic: names.retried, ...on([0, 1], '1') },
      { topic: retryTopic, ...on([0, 1, 2], '3') },
      { topic: names.expiring, ...on([0, 1, 2], '3') },
      { topic: names.partialTaken, ...on([0, 1], '1') },
      { topic: names.partialRefused, ...on([0, 1, 2], '3') },
    ],
  })
  await cluster.stopBroker(2)
  // The controller drops the dead broker from the in-sync replicas once its session expires (6 s).
  await waitFor(
    async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [dlq, names.output, names.buffer, names.drain, retryTopic, names.expiring, names.partialRefused] })
      return topics.every((t) => t.partitions.every((p) => p.leader === 0 && p.isr.length === 2))
    },
    { timeoutMs: 60_000, intervalMs: 500, message: 'broker 2 out of the in-sync replicas' },
  )
  kafka = new Kafkit({ clientId: 'kafkit-replica-down-test', brokers: cluster.brokers, logLevel: 'nothing' })
}, 240_000)

afterAll(async () => {
  await kafka?.close()
  await admin?.disconnect()
  await cluster?.stop()
})

/** With 2 in-sync replicas left of 3: '3' makes the broker refuse every acks=all write (NOT_ENOUGH_REPLICAS, before the append), '2' takes them. */
async function setMinInsync(topic: string, value: '2' | '3'): Promise<void> {
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'min.insync.replicas', value }] }] })
}
const committed = async (groupId: string, topic: string) => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset
const high = async (topic: string) => (await admin.fetchTopicOffsets(topic))[0]!.high

describe('writes refused while a replica is down', () => {
  it('a consumer holds the partition of a dead letter the broker refuses, and writes it once when the broker takes it', async () => {
    const Source = defineTopic({ name: names.source, key: string(), value: json(Event) })
    const groupId = uniqueName('g')
    const handled: number[] = []
    const dispatched: string[] = []
    const producer = raw.producer()
    await producer.connect()
    await producer.send({
      topic: names.source,
      acks: -1,
      messages: [
        { key: 'a', value: JSON.stringify({ n: 1 }) },
        { key: 'b', value: 'not json' },
        { key: 'c', value: JSON.stringify({ n: 2 }) },
      ],
    })
    await producer.disconnect()
    const consumer = kafka.consumer({ groupId, fromBeginning: true, shutdown: false, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 })
    consumer.on('dlq.dispatched', (e) => dispatched.push(e.offset))
    consumer.handle(Source, async (m) => void handled.push(m.value.n), { deadLetter: true })
    try {
      await consumer.start()
      await waitFor(() => handled.includes(1), { timeoutMs: 30_000, message: 'the record before the poison handled' })

      // The dead letter of offset 1 is refused meanwhile: nothing may pass it.
      await sleep(6_000)
      expect(handled).toEqual([1])
      expect(dispatched).toEqual([])
      expect(await high(dlq)).toBe('0')
      expect(['-1', '1']).toContain(await committed(groupId, names.source))

      await setMinInsync(dlq, '2')
      await waitFor(() => handled.includes(2), { timeoutMs: 30_000, message: 'the record after the poison handled once the dead letter was taken' })
      await waitFor(async () => (await committed(groupId, names.source)) === '3', { timeoutMs: 20_000, message: 'every offset committed' })
    } finally {
      // Writes taken again whatever happened, so the stop need not wait out a refused write.
      await setMinInsync(dlq, '2')
      await consumer.stop()
    }
    expect(handled).toEqual([1, 2])
    expect(dispatched).toEqual(['1'])
    // Written once: one record in the dead-letter topic, the poison's.
    expect(await high(dlq)).toBe('1')
    const dead = await kafka.deadLetters(dlq).list()
    expect(dead.map((e) => e.info)).toMatchObject([{ originalTopic: names.source, originalOffset: '1', errorCode: 'KAFKIT_SERDE_DECODE' }])
  }, 90_000)

  it('a pipeline aborts the transactions the broker refuses, resumes from the committed offset once it takes writes, and writes every output once', async () => {
    const Input = defineTopic({ name: names.input, key: string(), value: json(Event) })
    const Output = defineTopic({ name: names.output, key: string(), value: json(Event) })
    const groupId = uniqueName('g')
    const aborts: string[] = []
    const resumed: (string | undefined)[] = []
    let failed: unknown
    const pipeline = kafka
      .pipeline({
        groupId,
        transactionalId: uniqueName('tx'),
        fromBeginning: true,
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 500,
        shutdown: false,
        maxRecordsPerTransaction: 10,
        // Also the writes' delivery timeout: a refused write fails, and its transaction aborts, after 6 s.
        transactionTimeoutMs: 6_000,
        transactionRetry: { backoff: { initialMs: 200, maxMs: 1_000 } },
      })
      .from(Input)
      .to(Output, ({ key, value }) => ({ key, value: { n: value.n + 1_000 } }))
    pipeline.on('producer.txn.abort', (e) => aborts.push(e.reason))
    pipeline.on('pipeline.resumed', (e) => resumed.push(e.committedOffset))
    pipeline.done.catch((error: unknown) => (failed = error))
    const producer = kafka.producer()
    const send = (from: number, count: number) => producer.send(Input, Array.from({ length: count }, (_, i) => ({ key: `k${(from + i) % 7}`, value: { n: from + i } })))
    const caughtUp = async () => (await committed(groupId, names.input)) === (await high(names.input))

    try {
      await pipeline.start()
      await send(0, 30)
      await waitFor(caughtUp, { timeoutMs: 30_000, message: 'the first 30 inputs committed' })

      await setMinInsync(names.output, '3')
      await send(30, 30)
      await waitFor(() => aborts.length > 0, { timeoutMs: 30_000, message: 'a transaction the broker refused was aborted' })
      // Still refused: the partition is held, nothing committed past the first 30.
      await sleep(2_000)
      expect(await committed(groupId, names.input)).toBe('30')

      await setMinInsync(names.output, '2')
      await send(60, 20)
      await waitFor(caughtUp, { timeoutMs: 45_000, message: 'every input committed once the broker took writes again' })
      expect(failed).toBeUndefined()
    } finally {
      await setMinInsync(names.output, '2')
      await pipeline.stop()
    }

    const counts = new Map<number, number>()
    for (const record of await readCommitted(live(), names.output)) {
      const { n } = JSON.parse(record.value) as { n: number }
      counts.set(n - 1_000, (counts.get(n - 1_000) ?? 0) + 1)
    }
    const inputs = Array.from({ length: 80 }, (_, i) => i)
    expect(inputs.filter((n) => !counts.has(n)), 'inputs without an output').toEqual([])
    expect([...counts].filter(([, count]) => count > 1), 'inputs with several outputs').toEqual([])
    expect(counts.size).toBe(80)
    // The refusal did reach the pipeline: it aborted and resumed from the group's offset of the first 30.
    expect(aborts).toContain('kafka-error')
    expect(resumed).toContain('30')
  }, 90_000)

  it('a producer holds at most maxQueuedBytes of refused records: later sends wait for room, then all are written once, in call order', async () => {
    const MAX_QUEUED = 100_000
    const VALUE_BYTES = 30_000
    const Buffered = defineTopic({ name: names.buffer, key: string(), value: string() })
    const producer = kafka.producer({ maxQueuedBytes: MAX_QUEUED, deliveryTimeoutMs: 60_000 })
    const values = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(2, '0')}:${'x'.repeat(VALUE_BYTES)}`)
    let settled = 0
    const sends = values.map((value) => producer.send(Buffered, { key: 'k', value }).finally(() => void settled++))
    // Observed from the start: a send failing while the checks below are awaited is no unhandled rejection.
    const all = Promise.all(sends)
    all.catch(() => {})
    let peak = 0
    const watch = setInterval(() => (peak = Math.max(peak, producer.queuedBytes)), 10)
    try {
      // Three records fit under the bound; the other nine wait, in memory only as their callers' arguments.
      await waitFor(() => producer.queuedBytes > 2 * VALUE_BYTES, { message: 'records held while the broker refuses them' })
      await sleep(3_000)
      // Refused, not slow: nothing was acknowledged while min.insync.replicas (3) is above the in-sync replicas (2).
      expect(settled).toBe(0)
      expect(await high(names.buffer)).toBe('0')
      expect(peak).toBeGreaterThan(3 * VALUE_BYTES)
      expect(peak).toBeLessThanOrEqual(MAX_QUEUED)
      await setMinInsync(names.buffer, '2')
      const written = await all
      expect(written.map((w) => w[0]!.baseOffset)).toEqual(values.map((_, i) => String(i)))
    } finally {
      clearInterval(watch)
      await all.catch(() => {})
      await producer.disconnect()
    }
    expect(peak).toBeLessThanOrEqual(MAX_QUEUED)
    expect(producer.queuedBytes).toBe(0)
    expect(await high(names.buffer)).toBe(String(values.length))
  })

  it("a producer's disconnect() waits for the sends the broker still refuses, refuses new ones, and ends once every record is written", async () => {
    const Drained = defineTopic({ name: names.drain, key: string(), value: string() })
    const producer = kafka.producer({ deliveryTimeoutMs: 60_000 })
    let settled = 0
    const sends = ['a', 'b', 'c', 'd', 'e'].map((value) => producer.send(Drained, { key: 'k', value }).finally(() => void settled++))
    const all = Promise.all(sends)
    all.catch(() => {})
    await waitFor(() => producer.queuedBytes > 0, { message: 'the sends are queued' })
    let disconnected = false
    const closing = producer.disconnect().then(() => void (disconnected = true))
    closing.catch(() => {})
    await sleep(3_000)
    // Refused, so nothing settled, and the disconnect waits for them rather than dropping them.
    expect({ settled, disconnected }).toEqual({ settled: 0, disconnected: false })
    expect(await high(names.drain)).toBe('0')
    await expect(producer.send(Drained, { key: 'k', value: 'late' })).rejects.toMatchObject({ code: 'KAFKIT_ABORTED', context: { outcome: 'not-written' } })
    await setMinInsync(names.drain, '2')
    const written = await all
    await closing
    expect(written.map((w) => w[0]!.baseOffset)).toEqual(['0', '1', '2', '3', '4'])
    expect(disconnected).toBe(true)
    expect(await high(names.drain)).toBe('5')
  })

  it('a consumer holds the partition of a retry-topic copy the broker refuses, then writes it once and retries it from there', async () => {
    const Source = defineTopic({ name: names.retried, key: string(), value: json(Event) })
    const handled: { n: number; from: string }[] = []
    const forwarded: string[] = []
    const producer = raw.producer()
    await producer.connect()
    await producer.send({ topic: names.retried, acks: -1, messages: [1, 2, 3].map((n) => ({ key: `k${n}`, value: JSON.stringify({ n }) })) })
    await producer.disconnect()
    let failOnce = true
    const consumer = kafka.consumer({ groupId: retryGroup, fromBeginning: true, shutdown: false, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 })
    consumer.on('consumer.retry-topic', (e) => forwarded.push(e.offset))
    consumer.handle(
      Source,
      async (m) => {
        // The first delivery of n=2 fails: it goes to the retry topic, whose writes are refused.
        if (m.value.n === 2 && failOnce) {
          failOnce = false
          throw new Error('downstream unavailable')
        }
        handled.push({ n: m.value.n, from: m.receivedFrom })
      },
      { retry: false, retryTopics: ['1s'] },
    )
    try {
      await consumer.start()
      await waitFor(() => handled.length >= 1, { timeoutMs: 30_000, message: 'the record before the failing one handled' })
      await sleep(6_000)
      // Nothing passes the record whose copy is refused: not handled further, nothing forwarded, not committed past it.
      expect(handled).toEqual([{ n: 1, from: names.retried }])
      expect(forwarded).toEqual([])
      expect(await high(retryTopic)).toBe('0')
      expect(['-1', '1']).toContain(await committed(retryGroup, names.retried))

      await setMinInsync(retryTopic, '2')
      await waitFor(() => handled.length >= 3, { timeoutMs: 40_000, message: 'the rest handled, and the copy retried from the retry topic' })
      await waitFor(async () => (await committed(retryGroup, names.retried)) === '3', { timeoutMs: 20_000, message: 'every source offset committed' })
    } finally {
      await setMinInsync(retryTopic, '2')
      await consumer.stop()
    }
    expect(forwarded).toEqual(['1'])
    expect(await high(retryTopic)).toBe('1')
    expect(handled).toEqual(expect.arrayContaining([{ n: 1, from: names.retried }, { n: 3, from: names.retried }, { n: 2, from: retryTopic }]))
    expect(handled).toHaveLength(3)
  }, 120_000)

  it('a send the broker refuses for longer than deliveryTimeoutMs fails then, not written, with the broker\'s last error', async () => {
    const Expiring = defineTopic({ name: names.expiring, key: string(), value: string() })
    const producer = kafka.producer({ deliveryTimeoutMs: 4_000, ackTimeoutMs: 2_000 })
    try {
      const error = await rejectionOf<KafkitError>(producer.send(Expiring, [{ key: 'k', value: 'a' }, { key: 'k', value: 'b' }]))
      // Ended by the delivery timeout (not an early give-up, not a hang), with the broker's last word and a report per partition.
      expect(error).toMatchObject({
        code: 'KAFKIT_KAFKA',
        retriable: true,
        context: { reason: 'delivery-timeout', kafkaError: 'NOT_ENOUGH_REPLICAS', outcome: 'not-written', partitions: [{ partition: 0, records: 2, written: 0, notWritten: 2, unknown: 0 }] },
      })
      expect(error.message).toContain('not acknowledged within 4000 ms')
      expect(await high(names.expiring)).toBe('0')
    } finally {
      await producer.disconnect()
    }
  })

  it('a sendBatch the broker takes for one topic and refuses for another fails partial, and its report says which records are in the log: those are, once, and the others are not', async () => {
    const Taken = defineTopic({ name: names.partialTaken, key: string(), value: string() })
    const Refused = defineTopic({ name: names.partialRefused, key: string(), value: string() })
    const producer = kafka.producer({ deliveryTimeoutMs: 4_000, ackTimeoutMs: 2_000 })
    try {
      const error = await rejectionOf<KafkitError>(
        producer.sendBatch([
          { topic: Taken, messages: [{ key: 'k', value: 'a' }, { key: 'k', value: 'b' }] },
          { topic: Refused, messages: [{ key: 'k', value: 'c' }] },
        ]),
      )
      expect(error).toMatchObject({ code: 'KAFKIT_KAFKA', context: { outcome: 'partial' } })
      const reports = error.context.partitions as PartitionDeliveryReport[]
      expect(reports.find((r) => r.topic === names.partialTaken)).toMatchObject({ partition: 0, records: 2, written: 2, notWritten: 0, unknown: 0, baseOffset: '0' })
      expect(reports.find((r) => r.topic === names.partialRefused)).toMatchObject({ partition: 0, records: 1, written: 0, notWritten: 1, unknown: 0 })
      // What the report says is what the log holds.
      expect(await high(names.partialTaken)).toBe('2')
      expect(await high(names.partialRefused)).toBe('0')
    } finally {
      await producer.disconnect()
    }
  })
})
