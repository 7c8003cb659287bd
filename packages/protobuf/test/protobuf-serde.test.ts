import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { isKafkitError, type KafkitError } from '@kafkit/core'
import { loadProtoFile, protobuf, protoFile, type SchemaRegistry } from '../src/index.js'
import { messageIndexes } from '../src/internal/parse.js'
import { framePrefix } from '../src/internal/wire-format.js'

const fixtures = join(import.meta.dirname, 'fixtures')
const ctx = { topic: 'payments', field: 'value' } as const

function thrown(fn: () => unknown): KafkitError {
  try {
    fn()
  } catch (error) {
    if (isKafkitError(error)) return error
    throw error
  }
  throw new Error('expected a KafkitError')
}

describe('protobuf() without a registry', async () => {
  const file = await loadProtoFile(join(fixtures, 'shop/payment.proto'), { includeDirs: [fixtures] })
  const payment = protobuf(file, 'shop.Payment')

  test('loadProtoFile names files by import path and follows imports (not the well-known ones)', () => {
    expect(file.name).toBe('shop/payment.proto')
    expect(file.imports?.map((f) => f.name)).toEqual(['shop/money.proto'])
  })

  test('round-trips every kind of field; 64-bit as strings, enums by name, bytes as Buffer', () => {
    const value = {
      id: 'p1',
      amount: { currency: 'EUR', units: '9007199254740993', nanos: 500 },
      method: 'CARD',
      tags: ['a', 'b'],
      attributes: { shop: 'north' },
      at: { seconds: 1_700_000_000, nanos: 1 },
      sequence: 18446744073709551615n,
      signature: Buffer.from([1, 2, 3]),
      note: 'hi',
      card_token: 'tok',
      lines: [{ sku: 's1', quantity: 2 }],
      captured: true,
      fee: 0.25,
    }
    const bytes = payment.encode(value, ctx)
    expect(payment.decode(bytes, ctx)).toEqual({
      ...value,
      amount: { currency: 'EUR', units: '9007199254740993', nanos: 500 },
      at: { seconds: '1700000000', nanos: 1 },
      sequence: '18446744073709551615',
    })
  })

  test('unset fields: scalars get their defaults, sub-messages, optional and oneof members stay absent', () => {
    const decoded = payment.decode(payment.encode({}, ctx), ctx)
    expect(decoded).toEqual({ id: '', method: 'METHOD_UNSPECIFIED', tags: [], attributes: {}, sequence: '0', signature: Buffer.alloc(0), lines: [], captured: false, fee: 0 })
  })

  test('a value that does not fit is KAFKIT_VALIDATION with one issue per path, nothing encoded', () => {
    const error = thrown(() =>
      payment.encode({ id: 7, amount: { units: 1.5 }, method: 'CASH', tags: 'x', extra: true, account: 'a', card_token: 'b' } as never, ctx),
    )
    expect(error.code).toBe('KAFKIT_VALIDATION')
    expect(error.issues.map((issue) => issue.path)).toEqual([['id'], ['amount', 'units'], ['method'], ['tags'], ['extra'], ['card_token']])
    expect(error.message).toContain('payments')
  })

  test('bytes that are not this message are KAFKIT_SERDE_DECODE', () => {
    const error = thrown(() => payment.decode(Buffer.from([0x0a, 0xff, 0xff]), { ...ctx, partition: 1, offset: '9' }))
    expect(error).toMatchObject({ code: 'KAFKIT_SERDE_DECODE', retriable: false, context: { topic: 'payments', partition: 1, offset: '9' } })
  })

  test('message indexes: position among the file’s messages, nested ones (map entries counted) below', () => {
    expect(messageIndexes(file, 'shop.Refund')).toEqual([0])
    expect(messageIndexes(file, 'shop.Payment')).toEqual([1])
    // protoc's nested types of Payment: AttributesEntry (map field 5), then Line
    expect(messageIndexes(file, 'shop.Payment.Line')).toEqual([1, 1])
    expect(() => messageIndexes(file, 'shop.Nope')).toThrow(/does not declare/)
  })

  test('a missing import, an unknown message and broken source are KAFKIT_CONFIG', () => {
    expect(() => protoFile('a.proto', 'syntax = "proto3"; import "b.proto"; message A {}')).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG', message: expect.stringContaining('b.proto') }))
    expect(() => protobuf(file, 'shop.Nope')).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
    expect(() => protoFile('c.proto', 'message {')).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
  })
})

describe('maps with 64-bit keys', () => {
  test('keys come back as the decimal numbers that were sent', () => {
    const file = protoFile('m.proto', 'syntax = "proto3"; package m; message Counts { map<int64, string> by_id = 1; map<uint64, int32> by_seq = 2; }')
    const serde = protobuf(file, 'm.Counts')
    const value = { by_id: { '-5': 'minus', '9007199254740993': 'big' }, by_seq: { '18446744073709551615': 1 } }
    expect(serde.decode(serde.encode(value, ctx), ctx)).toEqual(value)
  })
})

describe('registry framing of a message nested after a map field (interop.Order.Line)', async () => {
  const protoDir = join(import.meta.dirname, '../../../test/interop/proto')
  const order = await loadProtoFile(join(protoDir, 'interop/order.proto'), { includeDirs: [protoDir] })
  /** Schema id 7 is order.proto as text, the way kafkit and Java register it. */
  const registry = {
    url: 'http://registry.test',
    register: async () => ({ id: 7 }),
    lookupVersion: async () => ({ id: 7, version: 1 }),
    getSchemaById: async () => ({ schema: order.source, schemaType: 'PROTOBUF', references: [] }),
  } as unknown as SchemaRegistry
  const frame = (indexes: number[], body: Buffer) => Buffer.concat([framePrefix(7, indexes), body])
  const body = Buffer.from(protobuf(order, 'interop.Order.Line').encode({ sku: 's1', quantity: 3 }, ctx))

  test('kafkit writes [0, 1] (AttributesEntry is [0, 0]), what Python’s and Java’s serializers write', async () => {
    const bytes = await protobuf(order, 'interop.Order.Line', { registry }).encode({ sku: 's1', quantity: 3 }, ctx)
    // magic 0, id 7, then zigzag varints: count 2 → 4, index 0 → 0, index 1 → 2
    expect(bytes.subarray(0, 8).toString('hex')).toBe('0000000007040002')
    expect(bytes.subarray(8)).toEqual(body)
  })

  test('a [0, 1] record (Python’s) decodes; so does [0, 0], what kafkit wrote before it counted map entries', async () => {
    const lines = protobuf(order, 'interop.Order.Line', { registry })
    expect(await lines.decode(frame([0, 1], body), ctx)).toEqual({ sku: 's1', quantity: 3 })
    expect(await lines.decode(frame([0, 0], body), ctx)).toEqual({ sku: 's1', quantity: 3 })
  })

  test('an Order serde refuses a Line record by name; an array that names nothing is refused too', async () => {
    const orders = protobuf(order, 'interop.Order', { registry })
    await expect(orders.decode(frame([0, 1], body), ctx)).rejects.toMatchObject({ code: 'KAFKIT_SCHEMA_INCOMPATIBLE', message: expect.stringContaining('is a interop.Order.Line') })
    const lines = protobuf(order, 'interop.Order.Line', { registry })
    await expect(lines.decode(frame([0, 2], body), ctx)).rejects.toMatchObject({ code: 'KAFKIT_SCHEMA_INCOMPATIBLE', message: expect.stringContaining('[0, 2]') })
  })

  test('after writing, the serde reads its own schema id without the registry, by the same numbering', async () => {
    const lines = protobuf(order, 'interop.Order.Line', { registry: { ...registry, getSchemaById: async () => Promise.reject(new Error('not asked')) } as unknown as SchemaRegistry })
    await lines.encode({ sku: 's1', quantity: 3 }, ctx)
    expect(lines.decode(frame([0, 1], body), ctx)).toEqual({ sku: 's1', quantity: 3 })
    expect(lines.decode(frame([0, 0], body), ctx)).toEqual({ sku: 's1', quantity: 3 })
  })
})
