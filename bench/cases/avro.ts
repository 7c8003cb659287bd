// Avro encode/decode throughput: the kafkit serde (registry-backed, cache warm, Confluent
// wire format) against avsc alone on the same ~100-byte record. One core, no I/O per message.
import avsc from 'avsc'
import { avro, SchemaRegistry } from '@kafkit/avro'

/** One line of the benchmark table. */
export interface Row {
  case: string
  unit: string
  kafkit: number
  baseline: number
  baselineName: string
  ratio: number
}

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

const ROUNDS = 7
const ROUND_MS = 300

/** Operations per second of `op`, measured over about `ROUND_MS`. */
function measure(op: () => unknown): number {
  let iterations = 0
  let batch = 1_000
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(ROUND_MS) * 1_000_000n
  let now = start
  while (now < deadline) {
    for (let i = 0; i < batch; i++) op()
    iterations += batch
    now = process.hrtime.bigint()
    batch = Math.min(batch * 2, 100_000)
  }
  return (iterations * 1e9) / Number(now - start)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** Interleaves rounds of both sides (after a warm-up) and reports medians. */
function compare(name: string, kafkit: () => unknown, baseline: () => unknown, baselineName: string): Row {
  measure(kafkit)
  measure(baseline)
  const ours: number[] = []
  const theirs: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    ours.push(measure(kafkit))
    theirs.push(measure(baseline))
  }
  const k = Math.round(median(ours))
  const b = Math.round(median(theirs))
  return { case: name, unit: 'msg/s', kafkit: k, baseline: b, baselineName, ratio: Number((k / b).toFixed(3)) }
}

/** Runs the Avro cases; registry-backed when `schemaRegistryUrl` is given, else plain Avro. */
export async function run(ctx: { brokers: string[]; schemaRegistryUrl?: string }): Promise<Row[]> {
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
  const size = `${bytes.length} B`

  let sink: unknown
  const rows = [
    compare(`avro encode (${size}, ${mode})`, () => (sink = serde.encode(value, serdeCtx)), () => (sink = type.toBuffer(value)), 'avsc toBuffer'),
    compare(`avro decode (${size}, ${mode})`, () => (sink = serde.decode(bytes, serdeCtx)), () => (sink = type.fromBuffer(body)), 'avsc fromBuffer'),
  ]
  if (sink instanceof Promise) throw new Error('avro bench: a warm serde returned a Promise')
  return rows
}
