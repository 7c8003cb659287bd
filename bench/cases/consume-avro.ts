// Consume throughput with Avro and the schema registry: a pre-filled topic of ~1 KB Avro
// records (Confluent wire format, 6 partitions), kafkit's `handle` and `handleBatch` with
// `avro(schema, { registry })` against raw kafkajs `eachBatch` decoding by hand (magic byte,
// schema id, the writer schema fetched from the registry once and cached, avsc `fromBuffer`),
// same commit policy as cases/consume.ts. Fresh group per round from the start, first record to
// last, sides rotating, medians. No peers: this row is about kafkit's Avro path over the same engine.
import avsc from 'avsc'
import { avro, SchemaRegistry } from '@kafkit/avro'
import { defineTopic, string } from '@kafkit/core'
import { uniqueName } from '@kafkit/testkit'
import { type BenchContext, medianOf, pairedRatio, peerRow, type Row, rotated, size } from '../measure.js'
import { deferred, kafkajsClient, kafkitClient, PARTITIONS, PAYLOAD_1KB, kafkitConsumeRate } from '../workload.js'

const schema = {
  type: 'record',
  name: 'Event',
  namespace: 'com.kafkit.bench',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['a', 'b', 'c'] } },
    { name: 'at', type: 'double' },
    { name: 'payload', type: 'string' },
  ],
} as const

export async function run(context: BenchContext): Promise<Row[]> {
  const { brokers, schemaRegistryUrl } = context
  if (schemaRegistryUrl === undefined) return []
  const records = size(context, 120_000, 12_000)
  // A round is about a second: more of them, after three warm-ups (the JIT of both clients and
  // the broker's read path keep getting faster over the first rounds), cost little.
  const rounds = size(context, 11, 1)
  const warmUps = size(context, 3, 1)
  const registry = new SchemaRegistry({ url: schemaRegistryUrl })
  const Topic = defineTopic({ name: uniqueName('bench-consume-avro'), key: string(), value: avro(schema, { registry }), partitions: PARTITIONS, replicationFactor: 1 })
  const kafka = kafkitClient(brokers, 'bench-consume-avro')
  const raw = kafkajsClient(brokers, 'bench-consume-avro-raw')
  try {
    await kafka.admin().ensureTopics([Topic])
    const producer = kafka.producer()
    const payload = 'x'.repeat(PAYLOAD_1KB)
    for (let from = 0; from < records; from += 4_000) {
      await Promise.all(
        [0, 1000, 2000, 3000].map((offset) =>
          producer.send(Topic, Array.from({ length: Math.max(0, Math.min(1_000, records - from - offset)) }, (_, i) => ({ key: `key-${(from + offset + i) % 500}`, value: { id: `event-${from + offset + i}`, kind: 'b' as const, at: from + offset + i, payload } }))),
        ),
      )
    }
    await producer.disconnect()
    const bytes = avsc.Type.forSchema(schema as unknown as avsc.Schema).toBuffer({ id: 'event-100000', kind: 'b', at: 100_000, payload }).length + 5

    const kafkit = (kind: 'message' | 'batch') => () => kafkitConsumeRate(kafka, Topic, records, kind)

    // The hand-written Confluent decoding a kafkajs user would write: one registry call per schema id.
    const types = new Map<number, avsc.Type>()
    const fetchType = async (id: number) => {
      const body = (await (await fetch(`${schemaRegistryUrl}/schemas/ids/${id}`)).json()) as { schema: string }
      const type = avsc.Type.forSchema(JSON.parse(body.schema) as avsc.Schema)
      types.set(id, type)
      return type
    }
    const rawRound = async (): Promise<number> => {
      let first = 0
      let seen = 0
      const finished = deferred<number>()
      const consumer = raw.consumer({ groupId: uniqueName('bench-consume-avro-raw-g') })
      await consumer.connect()
      await consumer.subscribe({ topics: [Topic.name], fromBeginning: true })
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          first ||= performance.now()
          for (const message of batch.messages) {
            const value = message.value!
            if (value[0] !== 0) throw new Error('not the Confluent wire format')
            const id = value.readInt32BE(1)
            const type = types.get(id) ?? (await fetchType(id))
            type.fromBuffer(value.subarray(5))
            message.key?.toString('utf8')
            resolveOffset(message.offset)
          }
          seen += batch.messages.length
          if (seen >= records) finished.resolve(performance.now())
        },
      })
      const end = await finished.promise
      await consumer.disconnect()
      return records / ((end - first) / 1000)
    }

    const { all } = await rotated(rounds, { 'kafkit handle': kafkit('message'), 'kafkit handleBatch': kafkit('batch'), 'kafkajs eachBatch': rawRound }, warmUps)
    const m = (name: keyof typeof all) => medianOf(all[name], (rate) => rate)
    const method = `${records} records of ${bytes} B Avro (registry, Confluent format), ${PARTITIONS} partitions pre-filled, fresh group per round from the start, first record to last, ${rounds} rounds (+${warmUps} warm-up), medians, kafkit/kafkajs the median of the per-round ratios`
    const target = { text: 'kafkit ≥ 0.95× kafkajs eachBatch', met: (ratio: number) => ratio >= 0.95 }
    const notes = ['platformatic and java: not run for Avro (the row measures kafkit’s Avro path; the JSON consume rows carry the peers)']
    const rows: Row[] = []
    const eachBatch = m('kafkajs eachBatch')!
    rows.push(peerRow({ name: `consume ${bytes} B Avro+registry, consumer.handle vs eachBatch`, unit: 'msg/s', method, kafkit: m('kafkit handle')!, kafkajs: eachBatch, ratio: pairedRatio(all['kafkit handle'], all['kafkajs eachBatch']), baselineName: 'kafkajs 2.2.4 eachBatch + avsc, schema cached by hand', target, notes }))
    rows.push(peerRow({ name: `consume ${bytes} B Avro+registry, handleBatch vs eachBatch`, unit: 'msg/s', method, kafkit: m('kafkit handleBatch')!, kafkajs: eachBatch, ratio: pairedRatio(all['kafkit handleBatch'], all['kafkajs eachBatch']), baselineName: 'kafkajs 2.2.4 eachBatch + avsc, schema cached by hand', target, notes }))
    return rows
  } finally {
    await kafka.close()
  }
}
