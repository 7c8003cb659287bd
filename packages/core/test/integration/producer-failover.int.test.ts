// Contract: on a real 3-broker cluster (replication factor 3, min.insync.replicas=2), kafkit's default producer loses no acknowledged record, writes none twice, keeps each caller's order, and fails no send while partition leaders are killed with kill -9 and restarted, for 1 and for 3 concurrent callers; and it recovers from a sequence error (its producer id fenced at a newer epoch) without loss, duplicate or wedge.
import { auditTopic, type KafkaCluster, killLeaders, startKafka, uniqueName } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import { defineTopic, isKafkitError, json, Kafkit, string } from '../../src/index.js'
import { createCluster, sendProduce } from '../../src/internal/transport/engine-internals.js'

const shared = inject('kafka')
// The JVM backend runs everywhere Java is; the containers backend too when this run uses it.
const backends = shared.backend === 'containers' ? (['jvm', 'containers'] as const) : (['jvm'] as const)

// Divisible by 3 callers × batches of 25.
const RECORDS = 10_200
const BATCH = 25
// Sending spans the kill schedule: two kills, each broker down 8 s and serving again ~5 s later.
const SEND_SPAN_MS = 30_000
// Sends one caller keeps outstanding at once.
const IN_FLIGHT = 4

const value = z.object({ id: z.string(), caller: z.number(), n: z.number() })
const contract = (name: string) =>
  defineTopic({ name, key: string(), value: json(value), partitions: 6, replicationFactor: 3, config: { 'min.insync.replicas': '2' } })

interface Outcome {
  acknowledged: Set<string>
  failedSends: string[]
}

/**
 * `callers` loops, each sending its share of RECORDS in batches of 25, paced over SEND_SPAN_MS,
 * with up to IN_FLIGHT sends outstanding (a busy service does not await each send before the
 * next), so the audit's order check covers sends in flight together, not only one batch.
 */
async function produce(kafka: Kafkit, topic: ReturnType<typeof contract>, callers: number): Promise<Outcome> {
  const producer = kafka.producer()
  await producer.connect()
  const acknowledged = new Set<string>()
  const failedSends: string[] = []
  const perCaller = RECORDS / callers
  const batches = Math.ceil(perCaller / BATCH)
  const interval = SEND_SPAN_MS / batches
  const started = Date.now()
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      const inFlight = new Set<Promise<void>>()
      for (let b = 0; b < batches; b++) {
        const wait = started + b * interval - Date.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight)
        const messages: { key: string; value: z.infer<typeof value> }[] = []
        for (let n = b * BATCH; n < Math.min(perCaller, (b + 1) * BATCH); n++) {
          messages.push({ key: `c${caller}-k${n % 40}`, value: { id: `${caller}-${n}`, caller, n } })
        }
        const send = producer.send(topic, messages).then(
          () => {
            for (const m of messages) acknowledged.add(m.value.id)
          },
          (error: unknown) => {
            failedSends.push(isKafkitError(error) ? `${error.message} ${JSON.stringify(error.context)}` : String(error))
          },
        )
        const tracked = send.finally(() => inFlight.delete(tracked))
        inFlight.add(tracked)
      }
      await Promise.all(inFlight)
    }),
  )
  await producer.disconnect()
  return { acknowledged, failedSends }
}

/** One record written with a raw Produce request under `producerId` at `epoch`, sequence 0 (as another writer with that id would). */
async function writeAtEpoch(brokers: string[], topic: string, producerId: number, epoch: number): Promise<void> {
  const engine = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING })
  const cluster = createCluster(engine, { allowAutoTopicCreation: false })
  await cluster.connect()
  try {
    await cluster.addMultipleTargetTopics([topic])
    const leader = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === 0)!.leader
    const answer = await sendProduce(await cluster.findBroker({ nodeId: leader }), {
      acks: -1,
      timeout: 10_000,
      compression: 0,
      producerId,
      producerEpoch: epoch,
      topicData: [{ topic, partitions: [{ partition: 0, firstSequence: 0, messages: [{ key: 'k', value: JSON.stringify({ id: 'rogue-0', caller: 9, n: 0 }) }] }] }],
    })
    expect(answer.topics[0]!.partitions[0]!.errorCode).toBe(0)
  } finally {
    await cluster.disconnect()
  }
}

const idOf = (bytes: Buffer) => (JSON.parse(bytes.toString()) as { id: string }).id
const orderOf = (bytes: Buffer) => {
  const record = JSON.parse(bytes.toString()) as { caller: number; n: number }
  return { stream: `${record.caller}-${record.n % 40}`, seq: record.n }
}

describe.each(backends)('producer delivery under leader failover (%s backend)', (backend) => {
  let cluster: KafkaCluster
  let kafka: Kafkit

  beforeAll(async () => {
    cluster = await startKafka({ backend, brokers: 3, log: () => {} })
    kafka = new Kafkit({ clientId: `kafkit-failover-${backend}`, brokers: cluster.brokers, logLevel: 'nothing' })
  }, 240_000)
  afterAll(async () => {
    await kafka?.close()
    await cluster?.stop()
  })

  it('1 and 3 concurrent callers: every acknowledged record is in the log once, in order, and no send fails, through two leader kill -9s', async () => {
    const one = contract(uniqueName('failover-1'))
    const three = contract(uniqueName('failover-3'))
    await kafka.admin().ensureTopics([one, three])
    const kills: string[] = []
    const [schedule, single, concurrent] = await Promise.all([
      killLeaders(cluster, one.name, { kills: 2, firstAfterMs: 2_000, downMs: 8_000, betweenMs: 2_000, log: (line) => kills.push(line) }),
      produce(kafka, one, 1),
      produce(kafka, three, 3),
    ])
    expect(schedule).toHaveLength(2)
    for (const [topic, outcome] of [
      [one, single],
      [three, concurrent],
    ] as const) {
      const audit = await auditTopic(cluster.brokers, topic.name, outcome.acknowledged, idOf, orderOf)
      const report = { topic: topic.name, failedSends: outcome.failedSends.slice(0, 3), lost: audit.lost.slice(0, 10), kills }
      expect(outcome.failedSends, JSON.stringify(report)).toEqual([])
      expect(outcome.acknowledged.size).toBe(RECORDS)
      expect(audit.lost, JSON.stringify(report)).toEqual([])
      expect([...audit.duplicated.keys()].slice(0, 10)).toEqual([])
      expect(audit.unacknowledged).toEqual([])
      expect(audit.outOfOrder).toBe(0)
      expect(audit.records).toBe(RECORDS)
    }
  }, 240_000)

  it('recovers from a sequence error: when another writer moved its producer id to a newer epoch, the next sends go under a new producer id, each written once, and nothing wedges', async () => {
    const topic = defineTopic({ name: uniqueName('seq-reset'), key: string(), value: json(value), partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2' } })
    await kafka.admin().ensureTopics([topic])
    const lines: string[] = []
    const granted: { producerId: number; producerEpoch: number }[] = []
    const logger = {
      level: 'info',
      child: () => logger,
      error: () => {},
      warn: (fields: unknown, message?: string) => lines.push(`${message ?? ''} ${JSON.stringify(fields)}`),
      // kafkajs hands producer ids out as decimal strings (int64).
      info: (fields: { producerId?: number | string; producerEpoch?: number }) => {
        if (fields.producerId !== undefined) granted.push({ producerId: Number(fields.producerId), producerEpoch: Number(fields.producerEpoch ?? 0) })
      },
      debug: () => {},
    }
    const client = new Kafkit({ clientId: `kafkit-seq-${backend}`, brokers: cluster.brokers, logger, logLevel: 'info' })
    const producer = client.producer()
    const acknowledged = new Set<string>()
    const send = async (from: number, count: number) => {
      const messages = Array.from({ length: count }, (_, i) => ({ key: 'k', value: { id: `0-${from + i}`, caller: 0, n: from + i } }))
      await producer.send(topic, messages)
      for (const m of messages) acknowledged.add(m.value.id)
    }
    try {
      for (let b = 0; b < 4; b++) await send(b * 5, 5)
      expect(granted).toHaveLength(1)
      // A write under the producer's id at the next epoch: the partition leader now fences the
      // producer's epoch, and its next batch is refused with INVALID_PRODUCER_EPOCH.
      await writeAtEpoch(cluster.brokers, topic.name, granted[0]!.producerId, granted[0]!.producerEpoch + 1)
      for (let b = 4; b < 24; b++) await send(b * 5, 5)
    } finally {
      await client.close()
    }
    expect(lines.some((line) => /INVALID_PRODUCER_EPOCH.*new producer id/.test(line)), lines.join('\n')).toBe(true)
    expect(granted).toHaveLength(2)
    expect(granted[1]!.producerId).not.toBe(granted[0]!.producerId)
    const audit = await auditTopic(cluster.brokers, topic.name, acknowledged, idOf, orderOf)
    expect(audit.lost).toEqual([])
    expect([...audit.duplicated.keys()]).toEqual([])
    expect(audit.unacknowledged).toEqual(['rogue-0'])
    expect(audit.records).toBe(121)
    expect(audit.outOfOrder).toBe(0)
  }, 120_000)
})
