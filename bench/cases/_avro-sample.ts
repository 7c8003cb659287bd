// One sample of the Avro serde case, run in a process of its own by `avro.ts` (a file whose
// name starts with `_` is not a case): the kafkit serde against avsc alone, encode then
// decode, in alternating rounds; prints one JSON line with every round's rate.
import avsc from 'avsc'
import { avro, SchemaRegistry } from '@kafkit/avro'
import { interleaved, opsLoop } from '../measure.js'

export interface AvroSample {
  bytes: number
  encode: { kafkit: number[]; baseline: number[] }
  decode: { kafkit: number[]; baseline: number[] }
}

export interface AvroSampleSettings {
  schemaRegistryUrl?: string
  topic: string
  rounds: number
  roundMs: number
}

export const schema = {
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

export const value = {
  eventId: '3f2b8c1e-9d4a-4e6b-8f7c-1a2b3c4d5e6f',
  userId: 'user-000042',
  action: 'CLICK' as const,
  url: 'https://shop.example.com/p/12345',
  durationMs: 1234,
  price: 19.99,
  at: 1_700_000_000_000,
  referrer: null,
}



async function main(): Promise<void> {
  const settings = JSON.parse(process.env['KAFKIT_AVRO_SAMPLE'] ?? '') as AvroSampleSettings
  const registry = settings.schemaRegistryUrl ? new SchemaRegistry({ url: settings.schemaRegistryUrl }) : undefined
  const serde = avro(schema, registry ? { registry } : {})
  const serdeCtx = { topic: settings.topic, field: 'value' as const }
  // Warm the caches: registers (or finds) the schema once, then every call below is synchronous.
  const bytes = await serde.encode(value, serdeCtx)
  await serde.decode(bytes, serdeCtx)
  if (serde.encode(value, serdeCtx) instanceof Promise || serde.decode(bytes, serdeCtx) instanceof Promise) {
    throw new Error('avro bench: a warm serde returned a Promise')
  }
  const type = avsc.Type.forSchema(schema as unknown as avsc.Schema)
  const body = type.toBuffer(value)
  const kafkitEncode = opsLoop(() => serde.encode(value, serdeCtx))
  const avscEncode = opsLoop(() => type.toBuffer(value))
  const encode = await interleaved(settings.rounds, () => kafkitEncode(settings.roundMs), () => avscEncode(settings.roundMs))
  const kafkitDecode = opsLoop(() => serde.decode(bytes, serdeCtx))
  const avscDecode = opsLoop(() => type.fromBuffer(body))
  const decode = await interleaved(settings.rounds, () => kafkitDecode(settings.roundMs), () => avscDecode(settings.roundMs))
  const sample: AvroSample = { bytes: bytes.length, encode: encode.rounds, decode: decode.rounds }
  process.stdout.write(`${JSON.stringify(sample)}\n`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
