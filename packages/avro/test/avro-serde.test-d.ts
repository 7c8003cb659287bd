import { describe, expectTypeOf, test } from 'vitest'
import type { Serde, SerdeContext } from '@kafkit/core'
import { avro, SchemaRegistry } from '../src/index.js'

const ctx: SerdeContext = { topic: 't', field: 'value' }

describe('avro() types', () => {
  test('the schema literal gives decode and encode types, without `as const` too', () => {
    const serde = avro({ type: 'record', name: 'R', fields: [{ name: 'n', type: 'int' }, { name: 's', type: 'string', default: '' }] })
    expectTypeOf(serde.decode(Buffer.alloc(0), ctx)).toEqualTypeOf<{ n: number; s: string }>()
    expectTypeOf(serde.encode).parameter(0).toEqualTypeOf<{ n: number; s?: string }>()
    // @ts-expect-error n must be a number
    serde.encode({ n: 'one' }, ctx)
    // @ts-expect-error n is required
    serde.encode({ s: 'x' }, ctx)
  })

  test('without a registry every call is synchronous; with one a Promise is possible', () => {
    const local = avro('string')
    expectTypeOf(local.encode('x', ctx)).toEqualTypeOf<Buffer>()
    expectTypeOf(local.decode(Buffer.alloc(0), ctx)).toEqualTypeOf<string>()
    const backed = avro('string', { registry: new SchemaRegistry({ url: 'http://localhost:8081' }) })
    expectTypeOf(backed.encode('x', ctx)).toEqualTypeOf<Buffer | Promise<Buffer>>()
    expectTypeOf(backed.decode(Buffer.alloc(0), ctx)).toEqualTypeOf<string | Promise<string>>()
  })

  test('both are Serdes of the inferred types', () => {
    expectTypeOf(avro('long')).toMatchTypeOf<Serde<number, number>>()
    expectTypeOf(avro(['null', 'long'], { registry: new SchemaRegistry({ url: 'http://x' }) })).toMatchTypeOf<Serde<number | null, number | null>>()
  })
})
