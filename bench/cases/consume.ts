// Consume throughput of a pre-filled topic (1 KB JSON validated by zod, 6 partitions, one
// broker): kafkit's `consumer.handle` and `handleBatch` (empty handlers, the client's defaults:
// metrics and tracing on) against raw kafkajs `eachMessage` and `eachBatch` doing the same
// decode (JSON.parse + zod, key as string) and commit policy (offsets resolved per record,
// committed by kafkajs after each fetch), @platformatic/kafka (autocommit after each fetch)
// and Kafka's ConsumerPerformance (bytes only). Each round is a fresh group reading the topic
// from the start; the clock runs from the first record handled to the last, so group joins do
// not count. Sides rotate order per round; medians.
import { uniqueName } from '@kafkit/testkit'
import { type BenchContext, medianOf, pairedRatio, peerRow, type Row, rotated, size } from '../measure.js'
import { notRunNote } from '../peers/index.js'
import { decodeByHand, deferred, eventTopic, fill, jsonBytes, kafkajsClient, kafkitClient, PARTITIONS, PAYLOAD_1KB, kafkitConsumeRate } from '../workload.js'

export async function run(context: BenchContext): Promise<Row[]> {
  const { brokers, peers } = context
  const records = size(context, 120_000, 12_000)
  // A round is about a second: more of them, after three warm-ups (the JIT of both clients and
  // the broker's read path keep getting faster over the first rounds), cost little. A round's
  // ratio varies by about ±5 % (the broker shares the two cores): 11 rounds narrow the median.
  const rounds = size(context, 11, 1)
  const warmUps = size(context, 3, 1)
  const Topic = eventTopic(uniqueName('bench-consume'))
  const kafka = kafkitClient(brokers, 'bench-consume')
  const raw = kafkajsClient(brokers, 'bench-consume-raw')
  try {
    await kafka.admin().ensureTopics([Topic])
    await fill(kafka, Topic, records)

    const kafkit = (kind: 'message' | 'batch') => () => kafkitConsumeRate(kafka, Topic, records, kind)

    const kafkajs = (kind: 'eachMessage' | 'eachBatch') => async (): Promise<number> => {
      let first = 0
      let seen = 0
      const finished = deferred<number>()
      const consumer = raw.consumer({ groupId: uniqueName('bench-consume-raw-g') })
      await consumer.connect()
      await consumer.subscribe({ topics: [Topic.name], fromBeginning: true })
      if (kind === 'eachMessage') {
        await consumer.run({
          eachMessage: async ({ message }) => {
            first ||= performance.now()
            decodeByHand(message)
            if (++seen === records) finished.resolve(performance.now())
          },
        })
      } else {
        await consumer.run({
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset }) => {
            first ||= performance.now()
            for (const message of batch.messages) {
              decodeByHand(message)
              resolveOffset(message.offset)
            }
            seen += batch.messages.length
            if (seen >= records) finished.resolve(performance.now())
          },
        })
      }
      const end = await finished.promise
      await consumer.disconnect()
      return records / ((end - first) / 1000)
    }

    const sides: Record<string, () => Promise<number>> = {
      'kafkit handle': kafkit('message'),
      'kafkit handleBatch': kafkit('batch'),
      'kafkajs eachMessage': kafkajs('eachMessage'),
      'kafkajs eachBatch': kafkajs('eachBatch'),
    }
    const platformatic = peers.platformatic
    if (!('notRun' in platformatic)) {
      sides['platformatic'] = async () => (await platformatic.run<{ rate: number }>({ mode: 'consume', topic: Topic.name, records, groupId: uniqueName('bench-consume-plt-g') })).rate
    }
    const java = peers.java
    if (!('notRun' in java)) sides['java'] = () => java.consumerPerformance({ topic: Topic.name, records })

    const { all, failed } = await rotated(rounds, sides, warmUps)
    const m = (name: string) => medianOf(all[name], (rate) => rate)
    const notes = [...notRunNote('platformatic', platformatic), ...notRunNote('java', java), ...Object.entries(failed).map(([name, error]) => `${name} failed: ${error}`)]
    const bytes = jsonBytes(PAYLOAD_1KB)
    const method = `${records} records of ${bytes} B JSON+zod, ${PARTITIONS} partitions pre-filled, fresh group per round from the start, first record to last, ${rounds} rounds (+${warmUps} warm-up), medians, kafkit/kafkajs the median of the per-round ratios; java: ConsumerPerformance fetch rate, bytes only`
    const peersOf = { platformatic: m('platformatic'), java: m('java') }
    const target = { text: 'kafkit ≥ 0.95× kafkajs eachBatch', met: (ratio: number) => ratio >= 0.95 }
    const rows: Row[] = []
    const handle = m('kafkit handle')
    const handleBatch = m('kafkit handleBatch')
    const eachMessage = m('kafkajs eachMessage')
    const eachBatch = m('kafkajs eachBatch')
    if (handle !== undefined && eachMessage !== undefined) rows.push(peerRow({ name: `consume ${bytes} B JSON, consumer.handle vs eachMessage`, unit: 'msg/s', method, kafkit: handle, kafkajs: eachMessage, ratio: pairedRatio(all['kafkit handle'], all['kafkajs eachMessage']), baselineName: 'kafkajs 2.2.4 eachMessage + same decode', ...peersOf, notes }))
    if (handle !== undefined && eachBatch !== undefined) rows.push(peerRow({ name: `consume ${bytes} B JSON, consumer.handle vs eachBatch`, unit: 'msg/s', method, kafkit: handle, kafkajs: eachBatch, ratio: pairedRatio(all['kafkit handle'], all['kafkajs eachBatch']), baselineName: 'kafkajs 2.2.4 eachBatch + same decode', ...peersOf, target, notes }))
    if (handleBatch !== undefined && eachBatch !== undefined) rows.push(peerRow({ name: `consume ${bytes} B JSON, handleBatch vs eachBatch`, unit: 'msg/s', method, kafkit: handleBatch, kafkajs: eachBatch, ratio: pairedRatio(all['kafkit handleBatch'], all['kafkajs eachBatch']), baselineName: 'kafkajs 2.2.4 eachBatch + same decode', ...peersOf, target, notes }))
    return rows
  } finally {
    await kafka.close()
  }
}
