import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { isKafkitError, type KafkitError } from '@kafkit/core'
import { loadProtoFile, protobuf, protoFile } from '../src/index.js'
import { messageIndexes } from '../src/internal/parse.js'

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

  test('message indexes: position among the file’s messages, nested ones below', () => {
    expect(messageIndexes(file, 'shop.Refund')).toEqual([0])
    expect(messageIndexes(file, 'shop.Payment')).toEqual([1])
    expect(messageIndexes(file, 'shop.Payment.Line')).toEqual([1, 0])
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
