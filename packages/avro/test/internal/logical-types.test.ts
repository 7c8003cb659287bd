import { describe, expect, test } from 'vitest'
import type { SerdeContext } from '@kafkit/core'
import { avro } from '../../src/index.js'

const ctx: SerdeContext = { topic: 't', field: 'value' }

const schema = {
  type: 'record',
  name: 'Typed',
  fields: [
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    { name: 'fixedAmount', type: { type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 18, scale: 4 } },
  ],
} as const

const uuid = '6f1c1c1e-3c2a-4a7b-9a55-2a3b4c5d6e7f'

function roundTrip(value: Record<string, unknown>) {
  const serde = avro(schema)
  return serde.decode(serde.encode(value as never, ctx) as Buffer, ctx)
}

describe('logical types', () => {
  test('timestamp-millis is a Date, to the millisecond', () => {
    const at = new Date('2024-02-29T12:34:56.789Z')
    const out = roundTrip({ at, id: uuid, amount: '0.00', fixedAmount: '0' })
    expect(out.at).toBeInstanceOf(Date)
    expect(out.at.toISOString()).toBe('2024-02-29T12:34:56.789Z')
  })

  test('timestamp-millis is a long of epoch milliseconds on the wire', () => {
    const at = new Date(1_700_000_000_123)
    const longSerde = avro({ type: 'record', name: 'Typed', fields: [{ name: 'at', type: 'long' }] })
    const bytes = avro({ type: 'record', name: 'Typed', fields: [schema.fields[0]] }).encode({ at }, ctx) as Buffer
    expect(longSerde.decode(bytes, ctx)).toEqual({ at: 1_700_000_000_123 })
  })

  test('decimal is a string with exactly `scale` fraction digits', () => {
    expect(roundTrip({ at: new Date(0), id: uuid, amount: '12.5', fixedAmount: '-3.1415' })).toMatchObject({ amount: '12.50', fixedAmount: '-3.1415' })
    expect(roundTrip({ at: new Date(0), id: uuid, amount: '-0.01', fixedAmount: '99999999999999.9999' })).toMatchObject({ amount: '-0.01', fixedAmount: '99999999999999.9999' })
    expect(roundTrip({ at: new Date(0), id: uuid, amount: '1234567.89', fixedAmount: '0' })).toMatchObject({ amount: '1234567.89', fixedAmount: '0.0000' })
  })

  test('decimal is the big-endian two’s complement unscaled integer on the wire', () => {
    const serde = avro({ type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 })
    // -1.28 → unscaled -128 → one byte 0x80, preceded by the bytes length 1 (zigzag 2).
    expect([...(serde.encode('-1.28', ctx) as Buffer)]).toEqual([2, 0x80])
    // 1.28 → 128 → needs two bytes 0x00 0x80.
    expect([...(serde.encode('1.28', ctx) as Buffer)]).toEqual([4, 0x00, 0x80])
  })

  test('decimal never rounds: too many fraction or total digits, or not a number, is invalid', () => {
    const serde = avro(schema)
    for (const amount of ['1.234', '12345678.00', 'abc', '1e3', 12.5]) {
      expect(() => serde.encode({ at: new Date(0), id: uuid, amount, fixedAmount: '0' } as never, ctx), String(amount)).toThrow(
        expect.objectContaining({ code: 'KAFKIT_VALIDATION', issues: [expect.objectContaining({ path: ['amount'] })] }),
      )
    }
  })

  test('uuid must be a UUID string; an invalid Date is refused', () => {
    const serde = avro(schema)
    expect(() => serde.encode({ at: new Date(0), id: 'not-a-uuid', amount: '1', fixedAmount: '0' } as never, ctx)).toThrow(
      expect.objectContaining({ code: 'KAFKIT_VALIDATION', message: expect.stringContaining('id: expected uuid') }),
    )
    expect(() => serde.encode({ at: new Date('nope'), id: uuid, amount: '1', fixedAmount: '0' } as never, ctx)).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: ['at'] })] }),
    )
  })

  test('a logical type on the wrong base type is ignored, as the spec says', () => {
    const serde = avro({ type: 'int', logicalType: 'timestamp-millis' })
    expect(serde.decode(serde.encode(5 as never, ctx) as Buffer, ctx)).toBe(5)
  })
})
