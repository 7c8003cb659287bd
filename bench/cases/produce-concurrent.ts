// Produce under concurrency, as a busy service does: many callers share one producer, each
// awaiting its own one-record send before the next, so many sends are in flight at once
// (acks=all, idempotent, keyed, 6 partitions, JSON+zod), for a fixed time per round; records
// of ~1 KB and of ~100 B (per-message overhead dominates). kafkit's producer against raw
// kafkajs configured the same (idempotent, one request in flight, Java's partitioner, the same
// serializer), @platformatic/kafka (idempotent, acks=all) and Kafka's ProducerPerformance
// (acks=all + idempotence, unthrottled, random bytes). Sides rotate per round; medians.
import { uniqueName } from '@kafkit/testkit'
import { type BenchContext, medianOf, peerRow, type Row, rotated, size } from '../measure.js'
import { notRunNote } from '../peers/index.js'
import { Event, eventTopic, eventValue, jsonBytes, kafkajsClient, kafkajsProducer, kafkitClient, PARTITIONS, PAYLOAD_100B, PAYLOAD_1KB } from '../workload.js'

const CALLERS = 64

/** Runs `callers` loops of `send(n)` for `durationMs`; resolves to acknowledged records per second. */
async function closedLoop(callers: number, durationMs: number, send: (n: number) => Promise<unknown>): Promise<number> {
  let acknowledged = 0
  const start = performance.now()
  const end = start + durationMs
  const caller = async (c: number) => {
    for (let n = c; performance.now() < end; n += callers) {
      await send(n)
      acknowledged++
    }
  }
  await Promise.all(Array.from({ length: callers }, (_, c) => caller(c)))
  return acknowledged / ((performance.now() - start) / 1000)
}

export async function run(context: BenchContext): Promise<Row[]> {
  const { brokers, peers } = context
  const durationMs = size(context, 3_000, 1_000)
  const rounds = size(context, 3, 1)
  const kafka = kafkitClient(brokers, 'bench-produce-c')
  const raw = kafkajsClient(brokers, 'bench-produce-c-raw')
  const rawProducer = kafkajsProducer(raw)
  const rows: Row[] = []
  try {
    const producer = kafka.producer()
    await Promise.all([producer.connect(), rawProducer.connect()])
    for (const payloadBytes of [PAYLOAD_1KB, PAYLOAD_100B]) {
      const payload = 'x'.repeat(payloadBytes)
      const bytes = jsonBytes(payloadBytes)
      const topics = { kafkit: eventTopic(uniqueName('bench-pc-kafkit')), kafkajs: eventTopic(uniqueName('bench-pc-raw')), platformatic: eventTopic(uniqueName('bench-pc-plt')), java: eventTopic(uniqueName('bench-pc-java')) }
      await kafka.admin().ensureTopics(Object.values(topics))
      const sides: Record<string, () => Promise<number>> = {
        kafkit: () => closedLoop(CALLERS, durationMs, (n) => producer.send(topics.kafkit, { key: `key-${n % 500}`, value: eventValue(n, n, payload) })),
        kafkajs: () =>
          closedLoop(CALLERS, durationMs, (n) =>
            rawProducer.send({ topic: topics.kafkajs.name, acks: -1, messages: [{ key: `key-${n % 500}`, value: Buffer.from(JSON.stringify(Event.parse(eventValue(n, n, payload))), 'utf8') }] }),
          ),
      }
      const platformatic = peers.platformatic
      if (!('notRun' in platformatic)) {
        sides['platformatic'] = async () => (await platformatic.run<{ rate: number }>({ mode: 'produce', topic: topics.platformatic.name, durationMs, callers: CALLERS, payloadBytes })).rate
      }
      const java = peers.java
      const javaRecords = size(context, payloadBytes > 500 ? 200_000 : 400_000, 20_000)
      if (!('notRun' in java)) sides['java'] = () => java.producerPerformance({ topic: topics.java.name, records: javaRecords, recordBytes: bytes })
      const { all, failed } = await rotated(rounds, sides)
      const m = (name: string) => medianOf(all[name], (rate) => rate)
      const kafkit = m('kafkit')
      const kafkajs = m('kafkajs')
      if (kafkit === undefined || kafkajs === undefined) throw new Error(`produce-concurrent: ${JSON.stringify(failed)}`)
      rows.push(
        peerRow({
          name: `produce ${bytes} B JSON, ${CALLERS} concurrent callers, acks=all, idempotent`,
          unit: 'msg/s',
          method: `${CALLERS} callers of one producer, each awaiting a one-record keyed send, ${durationMs} ms per round, ${PARTITIONS} partitions, ${rounds} rounds (+1 warm-up), median; java: ProducerPerformance ${javaRecords} records of ${bytes} B, unthrottled`,
          kafkit,
          kafkajs,
          baselineName: 'kafkajs 2.2.4 (idempotent, maxInFlightRequests 1) + same serializer',
          platformatic: m('platformatic'),
          java: m('java'),
          target: { text: 'kafkit ≥ 0.95× kafkajs', met: (ratio) => ratio >= 0.95 },
          notes: [...notRunNote('platformatic', platformatic), ...notRunNote('java', java), ...Object.entries(failed).map(([name, error]) => `${name} failed: ${error}`)],
        }),
      )
    }
    return rows
  } finally {
    await rawProducer.disconnect()
    await kafka.close()
  }
}
