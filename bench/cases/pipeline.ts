// Exactly-once consume-transform-produce of 1 KB JSON messages: kafkit's pipeline against a
// hand-written raw kafkajs transactional loop doing the same work (read_committed, zod
// validation of input and output, JSON, transactions of up to TXN_SIZE messages carrying
// the outputs and the consumed offsets), interleaved rounds. Each round is a fresh group
// reading the same input from the start; the clock runs from its first record to the
// commit of its last, so group joins do not count.
import { defineTopic, json, Kafkit, string } from '@kafkit/core'
import { uniqueName } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { z } from 'zod'
import { type BenchContext, interleaved, pairedRatio, type Row, row, size } from '../measure.js'

const Event = z.object({ id: z.string(), kind: z.enum(['a', 'b', 'c']), at: z.number().int(), payload: z.string() })
const Enriched = z.object({ id: z.string(), kind: z.enum(['a', 'b', 'c']), at: z.number().int(), payload: z.string(), score: z.number() })
type Event = z.infer<typeof Event>

const PARTITIONS = 6
const TXN_SIZE = 250

const enrich = (value: Event) => ({ ...value, score: value.at % 97 })

export async function run(context: BenchContext): Promise<Row[]> {
  const { brokers } = context
  const MESSAGES = size(context, 20_000, 2_000)
  const ROUNDS = size(context, 7, 1)
  const Input = defineTopic({ name: uniqueName('bench-pipe-in'), key: string(), value: json(Event), partitions: PARTITIONS, replicationFactor: 1 })
  const Output = defineTopic({ name: uniqueName('bench-pipe-out'), key: string(), value: json(Enriched), partitions: PARTITIONS, replicationFactor: 1 })
  const rawOutput = uniqueName('bench-pipe-raw-out')
  const kafka = new Kafkit({ clientId: 'bench-pipeline', brokers, logLevel: 'error' })
  const raw = new kafkajs.Kafka({ clientId: 'bench-pipeline-raw', brokers, logLevel: kafkajs.logLevel.ERROR })
  try {
    await kafka.admin().ensureTopics([Input, Output, defineTopic({ name: rawOutput, value: string(), partitions: PARTITIONS, replicationFactor: 1 })])
    const filler = 'x'.repeat(940)
    const source = kafka.producer()
    for (let i = 0; i < MESSAGES; i += 1_000) {
      await source.send(Input, Array.from({ length: 1_000 }, (_, j) => ({ key: `key-${i + j}`, value: { id: `event-${i + j}`, kind: 'b' as const, at: 1_700_000_000_000 + i + j, payload: filler } })))
    }
    await source.disconnect()
    const bytes = Buffer.byteLength(JSON.stringify({ id: 'event-10000', kind: 'b', at: 1_700_000_010_000, payload: filler }))

    const kafkitRound = async (): Promise<number> => {
      let first = 0
      let done = 0
      let finish!: (end: number) => void
      const finished = new Promise<number>((resolve) => (finish = resolve))
      const pipeline = kafka
        .pipeline({ groupId: uniqueName('bench-pipe-g'), transactionalId: uniqueName('bench-pipe-tx'), fromBeginning: true, maxRecordsPerTransaction: TXN_SIZE, shutdown: false, deadLetter: false, retry: false })
        .from(Input)
        .to(Output, (m) => {
          first ||= performance.now()
          return { key: m.key, value: enrich(m.value) }
        })
      pipeline.on('pipeline.committed', (e) => {
        done += e.inputs
        if (done >= MESSAGES) finish(performance.now())
      })
      await pipeline.start()
      const end = await finished
      await pipeline.stop()
      return MESSAGES / ((end - first) / 1000)
    }

    const rawRound = async (): Promise<number> => {
      const groupId = uniqueName('bench-pipe-raw-g')
      const consumer = raw.consumer({ groupId, readUncommitted: false })
      // Tuned as kafkit tunes its transactional producer (20 ms first retry of the
      // CONCURRENT_TRANSACTIONS answer right after a commit), so the ratio measures kafkit, not a default.
      const producer = raw.producer({
        transactionalId: uniqueName('bench-pipe-raw-tx'),
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { retries: 9, initialRetryTime: 20 },
        createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      })
      let first = 0
      let done = 0
      let finish!: (end: number) => void
      const finished = new Promise<number>((resolve) => (finish = resolve))
      await Promise.all([consumer.connect(), producer.connect()])
      await consumer.subscribe({ topics: [Input.name], fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          first ||= performance.now()
          for (let i = 0; i < batch.messages.length; i += TXN_SIZE) {
            const chunk = batch.messages.slice(i, i + TXN_SIZE)
            const messages = chunk.map((m) => ({ key: m.key, value: Buffer.from(JSON.stringify(Enriched.parse(enrich(Event.parse(JSON.parse(m.value!.toString('utf8'))))))) }))
            const last = chunk[chunk.length - 1]!.offset
            const txn = await producer.transaction()
            try {
              await txn.send({ topic: rawOutput, acks: -1, messages })
              await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(BigInt(last) + 1n) }] }] })
              await txn.commit()
            } catch (error) {
              await txn.abort()
              throw error
            }
            resolveOffset(last)
            await heartbeat()
            done += chunk.length
            if (done >= MESSAGES) finish(performance.now())
          }
        },
      })
      const end = await finished
      await Promise.all([consumer.disconnect(), producer.disconnect()])
      return MESSAGES / ((end - first) / 1000)
    }

    const result = await interleaved(ROUNDS, kafkitRound, rawRound)
    // Paired by round, as the consume cases: a pipeline round drifts as a consume round does.
    const exact = pairedRatio(result.rounds.kafkit, result.rounds.baseline) as number
    const ratio = Math.round(exact * 1000) / 1000
    return [{ ...row(`pipeline ${bytes} B JSON, read_committed, ${TXN_SIZE} msgs/transaction, exactly-once`, 'msg/s', result, 'kafkajs 2.2.4 transactional loop + same serializer'), ratio, method: `${MESSAGES} inputs, ${PARTITIONS} partitions, fresh group per round, first record to last commit, ${ROUNDS} rounds (+1 warm-up), medians, kafkit/kafkajs the median of the per-round ratios`, target: { text: 'ratio ≥ 0.95', met: exact >= 0.95 } }]
  } finally {
    await kafka.close()
  }
}
