// Batched produce of 1 KB JSON messages with acks=all, idempotent, through the real broker:
// kafkit's typed producer against raw kafkajs doing the same (same JSON+zod serializer, same
// Java-compatible partitioner, same idempotence and in-flight limit), interleaved rounds.
import { defineTopic, json, Kafkit, string } from '@kafkit/core'
import { uniqueName } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { z } from 'zod'
import { type BenchContext, interleaved, type Row, row, size as sized } from '../measure.js'

const Event = z.object({ id: z.string(), kind: z.enum(['a', 'b', 'c']), at: z.number().int(), payload: z.string() })
type Event = z.infer<typeof Event>

const BATCH = 500
const PARTITIONS = 6

function makeMessages(): { key: string; value: Event }[] {
  const filler = 'x'.repeat(940)
  return Array.from({ length: BATCH }, (_, i) => ({ key: `key-${i}`, value: { id: `event-${i}`, kind: 'b', at: 1_700_000_000_000 + i, payload: filler } }))
}

export async function run(context: BenchContext): Promise<Row[]> {
  const { brokers } = context
  const BATCHES_PER_ROUND = sized(context, 20, 4)
  const ROUNDS = sized(context, 7, 1)
  const messages = makeMessages()
  const size = Buffer.byteLength(JSON.stringify(messages[0]!.value))
  const KafkitTopic = defineTopic({ name: uniqueName('bench-kafkit'), key: string(), value: json(Event), partitions: PARTITIONS, replicationFactor: 1 })
  const rawTopic = uniqueName('bench-raw')

  const kafka = new Kafkit({ clientId: 'bench-kafkit', brokers, logLevel: 'error' })
  const raw = new kafkajs.Kafka({ clientId: 'bench-raw', brokers, logLevel: kafkajs.logLevel.ERROR })
  const rawProducer = raw.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner })
  try {
    await kafka.admin().ensureTopics([KafkitTopic, defineTopic({ name: rawTopic, value: string(), partitions: PARTITIONS, replicationFactor: 1 })])
    const producer = kafka.producer()
    await Promise.all([producer.connect(), rawProducer.connect()])

    const kafkitRound = async () => {
      const start = performance.now()
      for (let i = 0; i < BATCHES_PER_ROUND; i++) await producer.send(KafkitTopic, messages)
      return (BATCH * BATCHES_PER_ROUND) / ((performance.now() - start) / 1000)
    }
    const rawRound = async () => {
      const start = performance.now()
      for (let i = 0; i < BATCHES_PER_ROUND; i++) {
        await rawProducer.send({
          topic: rawTopic,
          acks: -1,
          messages: messages.map((message) => ({ key: message.key, value: Buffer.from(JSON.stringify(Event.parse(message.value)), 'utf8') })),
        })
      }
      return (BATCH * BATCHES_PER_ROUND) / ((performance.now() - start) / 1000)
    }
    const result = await interleaved(ROUNDS, kafkitRound, rawRound)
    return [{ ...row(`produce ${size} B JSON, batches of ${BATCH}, acks=all, idempotent`, 'msg/s', result, 'kafkajs 2.2.4 + same serializer'), method: `one caller awaiting each batch of ${BATCH}, ${BATCHES_PER_ROUND} batches per round, ${PARTITIONS} partitions, keyed, ${ROUNDS} rounds (+1 warm-up), median`, target: { text: 'ratio ≥ 0.95', met: result.kafkit / result.baseline >= 0.95 } }]
  } finally {
    await rawProducer.disconnect()
    await kafka.close()
  }
}
