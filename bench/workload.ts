// The records and clients the throughput and latency cases share, so every side does the same
// work: one JSON shape validated by one zod schema (bench/peers/platformatic-peer.mjs mirrors it).
import { type AnyTopicContract, defineTopic, json, Kafkit, string } from '@kafkit/core'
import { uniqueName } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { z } from 'zod'

export const Event = z.object({ id: z.string(), kind: z.enum(['a', 'b', 'c']), at: z.number(), payload: z.string() })
export type Event = z.infer<typeof Event>

export const PARTITIONS = 6
/** Payload lengths giving ~1 KB and ~100 B JSON records. */
export const PAYLOAD_1KB = 940
export const PAYLOAD_100B = 40

/** Epoch milliseconds with sub-millisecond resolution (same clock in every side of one process). */
export const now = (): number => performance.timeOrigin + performance.now()

export function eventValue(n: number, at: number, payload: string): Event {
  return { id: `event-${n}`, kind: 'b', at, payload }
}

export function jsonBytes(payloadBytes: number): number {
  return Buffer.byteLength(JSON.stringify(eventValue(100_000, 1_700_000_000_000, 'x'.repeat(payloadBytes))))
}

/** A JSON+zod contract over `name` with the bench's partition count. */
export function eventTopic(name: string) {
  return defineTopic({ name, key: string(), value: json(Event), partitions: PARTITIONS, replicationFactor: 1 })
}

export function kafkitClient(brokers: string[], clientId: string): Kafkit {
  return new Kafkit({ clientId, brokers, logLevel: 'error' })
}

export function kafkajsClient(brokers: string[], clientId: string): kafkajs.Kafka {
  return new kafkajs.Kafka({ clientId, brokers, logLevel: kafkajs.logLevel.ERROR })
}

/** Raw kafkajs configured as kafkit's producer is by default: idempotent, one request in flight, Java's partitioner. */
export function kafkajsProducer(kafka: kafkajs.Kafka): kafkajs.Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner })
}

/** The hand-written deserializer of the kafkajs sides: what `json(Event)` and `string()` do. */
export function decodeByHand(message: { key: Buffer | null; value: Buffer | null }): { key: string | null; value: Event } {
  return { key: message.key === null ? null : message.key.toString('utf8'), value: Event.parse(JSON.parse(message.value!.toString('utf8'))) }
}

/** Fills `topic` with `records` keyed 1 KB-ish events through kafkit's producer, a few batches in flight. */
export async function fill(kafka: Kafkit, topic: ReturnType<typeof eventTopic>, records: number, payloadBytes = PAYLOAD_1KB): Promise<void> {
  const producer = kafka.producer()
  const payload = 'x'.repeat(payloadBytes)
  const batch = 1_000
  let next = 0
  const worker = async () => {
    while (next < records) {
      const from = next
      next = Math.min(records, next + batch)
      await producer.send(topic, Array.from({ length: next - from }, (_, i) => ({ key: `key-${(from + i) % 500}`, value: eventValue(from + i, from + i, payload) })))
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  await producer.disconnect()
}

/** A promise with its resolve function. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/**
 * Consumes `records` records of `topic` from its start with a kafkit consumer of a fresh
 * group (`handle`, or `handleBatch` for `'batch'`, empty handlers) and returns the rate in
 * msg/s, timed from the first record handled to the last.
 */
export async function kafkitConsumeRate(kafka: Kafkit, topic: AnyTopicContract, records: number, kind: 'message' | 'batch'): Promise<number> {
  let first = 0
  let seen = 0
  const finished = deferred<number>()
  const consumer = kafka.consumer({ groupId: uniqueName(`${topic.name}-g`), fromBeginning: true, shutdown: false })
  if (kind === 'message') {
    consumer.handle(topic, () => {
      first ||= performance.now()
      if (++seen === records) finished.resolve(performance.now())
    })
  } else {
    consumer.handleBatch(topic, (messages) => {
      first ||= performance.now()
      seen += messages.length
      if (seen >= records) finished.resolve(performance.now())
    })
  }
  await consumer.start()
  const end = await finished.promise
  await consumer.stop()
  return records / ((end - first) / 1000)
}
