// JSON + zod serde throughput: kafkit's json(schema) against the same work done by hand
// (zod parse, then JSON.stringify; JSON.parse, then zod parse). One core, no I/O.
import { json, type SerdeContext } from '@kafkit/core'
import { z } from 'zod'
import { type BenchContext, interleaved, opsLoop, type Row, row, size } from '../measure.js'

const PageView = z.object({
  eventId: z.string(),
  userId: z.string(),
  action: z.enum(['view', 'click', 'purchase']),
  url: z.string(),
  durationMs: z.number().int(),
  price: z.number(),
  at: z.number().int(),
  referrer: z.string().nullable(),
})

const value: z.input<typeof PageView> = {
  eventId: '3f2b8c1e-9d4a-4e6b-8f7c-1a2b3c4d5e6f',
  userId: 'user-000042',
  action: 'click',
  url: 'https://shop.example.com/p/12345',
  durationMs: 1234,
  price: 19.99,
  at: 1_700_000_000_000,
  referrer: null,
}


export async function run(context: BenchContext): Promise<Row[]> {
  const ROUND_MS = size(context, 500, 100)
  const ROUNDS = size(context, 7, 1)
  const serde = json(PageView)
  const encodeContext: SerdeContext = { topic: 'bench', field: 'value' }
  const decodeContext: SerdeContext = { topic: 'bench', field: 'value', partition: 0, offset: '0' }
  const bytes = serde.encode(value, encodeContext) as Buffer

  const kafkitEncode = opsLoop(() => serde.encode(value, encodeContext))
  const handEncode = opsLoop(() => Buffer.from(JSON.stringify(PageView.parse(value)), 'utf8'))
  const kafkitDecode = opsLoop(() => serde.decode(bytes, decodeContext))
  const handDecode = opsLoop(() => PageView.parse(JSON.parse(bytes.toString('utf8'))))
  const encode = await interleaved(ROUNDS, () => kafkitEncode(ROUND_MS), () => handEncode(ROUND_MS))
  const decode = await interleaved(ROUNDS, () => kafkitDecode(ROUND_MS), () => handDecode(ROUND_MS))
  return [
    { ...row(`JSON+zod encode (${bytes.length} B record)`, 'msg/s', encode, 'zod parse + JSON.stringify by hand'), method: `one core, no I/O, ${ROUND_MS} ms per round, ${ROUNDS} rounds (+1 warm-up), median, each side in a loop of its own`, target: { text: 'ratio ≥ 0.95', met: encode.kafkit / encode.baseline >= 0.95 } },
    { ...row(`JSON+zod decode (${bytes.length} B record)`, 'msg/s', decode, 'JSON.parse + zod parse by hand'), method: `one core, no I/O, ${ROUND_MS} ms per round, ${ROUNDS} rounds (+1 warm-up), median, each side in a loop of its own`, target: { text: 'ratio ≥ 0.95', met: decode.kafkit / decode.baseline >= 0.95 } },
  ]
}
