// Shared set-up of the consumer integration tests: a kafkajs client on the run's cluster,
// topic creation, raw produce, and reading a whole topic back. Not a test file itself.
// Raw kafkajs is used only to write bytes kafkit would refuse (poison) and to read topics back.
import kafkajs, { type Admin, type Kafka, type Producer } from 'kafkajs'
import { afterAll, beforeAll, inject } from 'vitest'
import { Kafkit, type ConsumerOptions, type KafkitConsumer } from '../../src/index.js'
import type { RawRecord } from '../../src/runtime/records.js'

export interface Harness {
  kafkit: Kafkit
  kafka: Kafka
  admin: Admin
  producer: Producer
  consumer(options: ConsumerOptions): KafkitConsumer
  createTopic(topic: string, partitions?: number): Promise<void>
  produce(topic: string, messages: { key?: string; value: string | Buffer; partition?: number; headers?: Record<string, string> }[]): Promise<void>
  readAll(topic: string, expected: number): Promise<RawRecord[]>
  close(): Promise<void>
}

/**
 * The harness of one test file on the run's cluster: made before its first test, closed after
 * its last. Usable inside tests and hooks (it forwards to the harness made in `beforeAll`).
 */
export function useHarness(): Harness {
  const { brokers } = inject('kafka')
  let made: Harness | undefined
  beforeAll(async () => {
    made = await harness(brokers)
  })
  afterAll(async () => {
    await made?.close()
  })
  return new Proxy({} as Harness, {
    get(_, key) {
      if (made === undefined) throw new Error(`the consumer harness is used before its beforeAll ran (${String(key)})`)
      const value = made[key as keyof Harness]
      return typeof value === 'function' ? value.bind(made) : value
    },
  })
}

export async function harness(brokers: string[]): Promise<Harness> {
  const kafkit = new Kafkit({ clientId: 'kafkit-consumer-test', brokers, logLevel: 'nothing' })
  const kafka = new kafkajs.Kafka({ clientId: 'kafkit-consumer-test-raw', brokers, logLevel: kafkajs.logLevel.NOTHING })
  const admin = kafka.admin()
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await Promise.all([admin.connect(), producer.connect()])
  const consumers: KafkitConsumer[] = []
  return {
    kafkit,
    kafka,
    admin,
    producer,
    consumer(options) {
      const consumer = kafkit.consumer({ shutdown: false, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, ...options })
      consumers.push(consumer)
      return consumer
    },
    async createTopic(topic, partitions = 1) {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] })
    },
    async produce(topic, messages) {
      await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, partition: m.partition, headers: m.headers })) })
    },
    async readAll(topic, expected) {
      const records: RawRecord[] = []
      const reader = kafka.consumer({ groupId: `reader-${topic}-${Math.random().toString(16).slice(2)}` })
      await reader.connect()
      await reader.subscribe({ topics: [topic], fromBeginning: true })
      let timer: NodeJS.Timeout | undefined
      try {
        await new Promise<void>((resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`read ${records.length}/${expected} records of ${topic}`)), 60_000)
          // A run that fails (its group join gave up) fails the read, never an unhandled rejection.
          reader
            .run({
              eachMessage: async ({ topic: t, partition, message }) => {
                records.push({ topic: t, partition, offset: message.offset, timestamp: message.timestamp, key: message.key ?? null, value: message.value ?? null, headers: (message.headers ?? {}) as RawRecord['headers'] })
                if (records.length >= expected) resolve()
              },
            })
            .catch(reject)
        })
      } finally {
        clearTimeout(timer)
        await reader.disconnect()
      }
      return records
    },
    async close() {
      await Promise.allSettled(consumers.map((c) => c.stop()))
      await Promise.allSettled([admin.disconnect(), producer.disconnect(), kafkit.close()])
    },
  }
}
