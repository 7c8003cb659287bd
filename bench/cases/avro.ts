// Avro encode/decode throughput: the kafkit serde (registry-backed, cache warm, Confluent
// wire format) against avsc alone on the same ~100-byte record. One core, no I/O per message.
import avsc from 'avsc'
import { avro, SchemaRegistry } from '@kafkit/avro'
import { type BenchContext, interleaved, opsLoop, type Row, row, size } from '../measure.js'

const schema = {
  type: 'record',
  name: 'PageView',
  namespace: 'com.kafkit.bench',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'userId', type: 'string' },
    { name: 'action', type: { type: 'enum', name: 'Action', symbols: ['VIEW', 'CLICK', 'PURCHASE'] } },
    { name: 'url', type: 'string' },
    { name: 'durationMs', type: 'int' },
    { name: 'price', type: 'double' },
    { name: 'at', type: 'long' },
    { name: 'referrer', type: ['null', 'string'], default: null },
  ],
} as const

const value = {
  eventId: '3f2b8c1e-9d4a-4e6b-8f7c-1a2b3c4d5e6f',
  userId: 'user-000042',
  action: 'CLICK' as const,
  url: 'https://shop.example.com/p/12345',
  durationMs: 1234,
  price: 19.99,
  at: 1_700_000_000_000,
  referrer: null,
}


/** Runs the Avro cases; registry-backed when `schemaRegistryUrl` is given, else plain Avro. */
export async function run(ctx: BenchContext): Promise<Row[]> {
  const ROUNDS = size(ctx, 7, 1)
  const ROUND_MS = size(ctx, 500, 100)
  const registry = ctx.schemaRegistryUrl ? new SchemaRegistry({ url: ctx.schemaRegistryUrl }) : undefined
  const serde = avro(schema, registry ? { registry } : {})
  const topic = `bench-avro-${process.pid}-${Date.now()}`
  const serdeCtx = { topic, field: 'value' as const }
  // Warm the caches: registers once, then every call below is synchronous.
  const bytes = await serde.encode(value, serdeCtx)
  await serde.decode(bytes, serdeCtx)

  const type = avsc.Type.forSchema(schema as unknown as avsc.Schema)
  const body = type.toBuffer(value)
  const mode = registry ? 'registry, cache warm' : 'no registry'
  const bytesText = `${bytes.length} B`

  if (serde.encode(value, serdeCtx) instanceof Promise || serde.decode(bytes, serdeCtx) instanceof Promise) {
    throw new Error('avro bench: a warm serde returned a Promise')
  }
  const kafkitEncode = opsLoop(() => serde.encode(value, serdeCtx))
  const avscEncode = opsLoop(() => type.toBuffer(value))
  const encode = await interleaved(
    ROUNDS,
    () => kafkitEncode(ROUND_MS),
    () => avscEncode(ROUND_MS),
  )
  const kafkitDecode = opsLoop(() => serde.decode(bytes, serdeCtx))
  const avscDecode = opsLoop(() => type.fromBuffer(body))
  const decode = await interleaved(
    ROUNDS,
    () => kafkitDecode(ROUND_MS),
    () => avscDecode(ROUND_MS),
  )
  const method = `one core, no I/O, ${ROUND_MS} ms per round, ${ROUNDS} rounds (+1 warm-up), median, each side in a loop of its own`
  const rows: Row[] = [
    { ...row(`Avro encode (${bytesText} record, ${mode})`, 'msg/s', encode, 'avsc toBuffer alone'), method, target: { text: '≥ 1M msg/s', met: encode.kafkit >= 1_000_000 } },
    { ...row(`Avro decode (${bytesText} record, ${mode})`, 'msg/s', decode, 'avsc fromBuffer alone'), method, target: { text: '≥ 0.95× avsc alone', met: decode.kafkit / decode.baseline >= 0.95 } },
  ]
  return rows
}
