import { describe, expectTypeOf, test } from 'vitest'
import type { SerdeInput, SerdeOutput } from '@kafkit/core'
import { protobuf, SchemaRegistry } from '../src/index.js'
import { Payment, type PaymentInput, type Payment as PaymentValue } from './fixtures/generated/payment.js'

describe('types from generated code', () => {
  test('protobuf(Payment) is typed by the generated interfaces, with or without a registry', () => {
    const local = protobuf(Payment)
    expectTypeOf<SerdeOutput<typeof local>>().toEqualTypeOf<PaymentValue>()
    expectTypeOf<SerdeInput<typeof local>>().toEqualTypeOf<PaymentInput>()
    expectTypeOf(local.encode({ id: 'x' }, { topic: 't', field: 'value' })).toEqualTypeOf<Buffer>()
    const framed = protobuf(Payment, { registry: new SchemaRegistry({ url: 'http://localhost:8081' }) })
    expectTypeOf(framed.decode(Buffer.alloc(0), { topic: 't', field: 'value' })).toEqualTypeOf<PaymentValue | Promise<PaymentValue>>()
  })

  test('wrong field types do not compile', () => {
    const serde = protobuf(Payment)
    // @ts-expect-error id is a string
    serde.encode({ id: 1 }, { topic: 't', field: 'value' })
    // @ts-expect-error no such field
    serde.encode({ nope: true }, { topic: 't', field: 'value' })
    const value = serde.decode(Buffer.alloc(0), { topic: 't', field: 'value' })
    expectTypeOf(value.sequence).toEqualTypeOf<string>()
    expectTypeOf(value.amount).toEqualTypeOf<PaymentValue['amount']>()
  })
})
