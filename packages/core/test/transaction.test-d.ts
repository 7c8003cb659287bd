import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, Kafkit, type KafkitPipeline, string, type Transaction } from '../src/index.js'

const Orders = defineTopic({ name: 'orders', key: string(), value: json(z.object({ id: z.string(), total: z.number() })) })
const Audit = defineTopic({ name: 'audit', value: string() })
const kafka = new Kafkit({ clientId: 't', brokers: ['localhost:9092'] })

describe('transaction types', () => {
  test('tx.send is typed by its contract', () => {
    void kafka.producer({ transactionalId: 't' }).transaction(async (tx) => {
      expectTypeOf(tx).toEqualTypeOf<Transaction>()
      await tx.send(Orders, { key: 'k', value: { id: '1', total: 2 } })
      await tx.send(Audit, { value: 'ok' })
      // @ts-expect-error total must be a number
      await tx.send(Orders, { key: 'k', value: { id: '1', total: '2' } })
      // @ts-expect-error the contract requires a key
      await tx.send(Orders, { value: { id: '1', total: 2 } })
      return 42
    })
  })

  test('transaction() resolves to what the callback returns', () => {
    expectTypeOf(kafka.producer({ transactionalId: 't' }).transaction(async () => 42)).resolves.toEqualTypeOf<number>()
  })
})

describe('pipeline types', () => {
  test('the transform gets the typed input and returns typed outputs', () => {
    const p = kafka
      .pipeline({ groupId: 'g' })
      .from(Orders)
      .to(Audit, (m) => {
        expectTypeOf(m.value).toEqualTypeOf<{ id: string; total: number }>()
        expectTypeOf(m.key).toEqualTypeOf<string>()
        return [{ value: m.value.id }]
      })
    expectTypeOf(p).toEqualTypeOf<KafkitPipeline>()
  })

  test('a wrong output is a compile error', () => {
    // @ts-expect-error Audit values are strings
    kafka.pipeline({ groupId: 'g' }).from(Orders).to(Audit, () => ({ value: 42 }))
    // @ts-expect-error unknown output name
    kafka.pipeline({ groupId: 'g' }).from(Orders).to({ audit: Audit }, () => ({ other: { value: 'x' } }))
  })

  test('named outputs are typed per name', () => {
    kafka
      .pipeline({ groupId: 'g' })
      .from(Audit)
      .to({ orders: Orders, audit: Audit }, (m) => ({ orders: { key: m.value, value: { id: m.value, total: 1 } }, audit: null }))
  })
})
