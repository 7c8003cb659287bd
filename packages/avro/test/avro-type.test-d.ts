import { describe, expectTypeOf, test } from 'vitest'
import type { AvroInput, AvroValue } from '../src/avro-type.js'

const user = {
  type: 'record',
  name: 'User',
  namespace: 'com.example',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'age', type: 'int' },
    { name: 'score', type: 'double', default: 0 },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
    { name: 'role', type: { type: 'enum', name: 'Role', symbols: ['ADMIN', 'USER'] } },
    { name: 'createdAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'ref', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'raw', type: 'bytes' },
    { name: 'address', type: { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }] } },
    { name: 'previous', type: ['null', 'Address'], default: null },
    { name: 'flag', type: { type: 'boolean' } },
  ],
} as const

describe('AvroValue', () => {
  test('maps a record with every kind of field', () => {
    expectTypeOf<AvroValue<typeof user>>().toEqualTypeOf<{
      id: string
      age: number
      score: number
      email: string | null
      tags: string[]
      attrs: Record<string, number>
      role: 'ADMIN' | 'USER'
      createdAt: Date
      amount: string
      ref: string
      raw: Buffer
      address: { city: string }
      previous: { city: string } | null
      flag: boolean
    }>()
  })

  test('a wrong field type does not fit', () => {
    type User = AvroValue<typeof user>
    // @ts-expect-error age is a number
    const bad: Pick<User, 'age'> = { age: '42' }
    // @ts-expect-error role is one of the symbols
    const badRole: Pick<User, 'role'> = { role: 'ROOT' }
    void bad
    void badRole
  })

  test('primitives and top-level unions', () => {
    expectTypeOf<AvroValue<'string'>>().toEqualTypeOf<string>()
    expectTypeOf<AvroValue<'long'>>().toEqualTypeOf<number>()
    expectTypeOf<AvroValue<readonly ['null', 'int']>>().toEqualTypeOf<number | null>()
    expectTypeOf<AvroValue<{ readonly type: 'long'; readonly logicalType: 'timestamp-millis' }>>().toEqualTypeOf<Date>()
  })

  test('a logical type on the wrong base type keeps the base type', () => {
    expectTypeOf<AvroValue<{ readonly type: 'int'; readonly logicalType: 'timestamp-millis' }>>().toEqualTypeOf<number>()
  })

  test('a schema not known precisely maps to unknown', () => {
    expectTypeOf<AvroValue<string>>().toEqualTypeOf<unknown>()
    expectTypeOf<AvroValue<object>>().toEqualTypeOf<unknown>()
  })

  test('recursive named types', () => {
    const list = {
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'value', type: 'int' },
        { name: 'next', type: ['null', 'Node'], default: null },
      ],
    } as const
    type Node = AvroValue<typeof list>
    expectTypeOf<Node['value']>().toEqualTypeOf<number>()
    expectTypeOf<NonNullable<Node['next']>['value']>().toEqualTypeOf<number>()
    expectTypeOf<NonNullable<NonNullable<Node['next']>['next']>['value']>().toEqualTypeOf<number>()
  })
})

describe('AvroInput', () => {
  test('fields with a default are optional, others required', () => {
    type In = AvroInput<typeof user>
    expectTypeOf<In['score']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<In['id']>().toEqualTypeOf<string>()
    const minimal = {
      id: 'u1',
      age: 3,
      tags: [],
      attrs: {},
      role: 'USER',
      createdAt: new Date(),
      amount: '1.00',
      ref: '6f1c1c1e-3c2a-4a7b-9a55-2a3b4c5d6e7f',
      raw: Buffer.alloc(0),
      address: { city: 'Oslo' },
      flag: true,
    } as const
    expectTypeOf(minimal).toMatchTypeOf<In>()
    // @ts-expect-error id is required
    const missing: In = { ...minimal, id: undefined }
    void missing
  })
})
