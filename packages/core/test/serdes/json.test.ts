import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { isKafkitError, json, type KafkitError } from '../../src/index.js'

const context = { topic: 'orders', field: 'value' } as const
const Order = z.object({
  id: z.string(),
  lines: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })),
  at: z.coerce.date(),
})

function thrown(fn: () => unknown): KafkitError {
  try {
    fn()
  } catch (error) {
    if (isKafkitError(error)) return error
    throw error
  }
  throw new Error('expected a KafkitError')
}

describe('json', () => {
  test('round-trips a value through JSON bytes, coercing on decode', () => {
    const serde = json(Order)
    const at = new Date('2024-05-01T10:00:00.000Z')
    const bytes = serde.encode({ id: 'o1', lines: [{ sku: 'a', qty: 2 }], at }, context) as Buffer
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ id: 'o1', lines: [{ sku: 'a', qty: 2 }], at: '2024-05-01T10:00:00.000Z' })
    expect(serde.decode(bytes, context)).toEqual({ id: 'o1', lines: [{ sku: 'a', qty: 2 }], at })
  })

  test('writes the parsed output: unknown keys are stripped', () => {
    const bytes = json(z.object({ a: z.number() })).encode({ a: 1, secret: 'x' } as never, context) as Buffer
    expect(bytes.toString('utf8')).toBe('{"a":1}')
  })

  test('an invalid value is a KAFKIT_VALIDATION error with the topic and every zod issue path', () => {
    const error = thrown(() => json(Order).encode({ id: 1, lines: [{ sku: 'a', qty: 0 }], at: 'x' } as never, context))
    expect(error.code).toBe('KAFKIT_VALIDATION')
    expect(error.retriable).toBe(false)
    expect(error.context).toMatchObject({ topic: 'orders', field: 'value' })
    expect(error.issues.map((issue) => issue.path)).toEqual([['id'], ['lines', 0, 'qty'], ['at']])
    expect(error.message).toContain('lines[0].qty')
  })

  test('bytes that are not JSON are a KAFKIT_SERDE_DECODE error', () => {
    const error = thrown(() => json(Order).decode(Buffer.from('{"id":'), { ...context, partition: 2, offset: '17' }))
    expect(error.code).toBe('KAFKIT_SERDE_DECODE')
    expect(error.context).toMatchObject({ topic: 'orders', partition: 2, offset: '17' })
  })

  test('JSON that does not fit the schema is a KAFKIT_VALIDATION error on decode', () => {
    const error = thrown(() => json(Order).decode(Buffer.from('{"id":"o1","lines":[],"at":"not a date"}'), { ...context, partition: 0, offset: '3' }))
    expect(error.code).toBe('KAFKIT_VALIDATION')
    expect(error.issues.map((issue) => issue.path)).toEqual([['at']])
    expect(error.message).toContain('orders[0]@3')
  })

  test('validateOnDecode: false returns the parsed JSON unchecked', () => {
    expect(json(Order, { validateOnDecode: false }).decode(Buffer.from('{"id":5}'), context)).toEqual({ id: 5 })
  })

  test('a value JSON cannot hold is a KAFKIT_SERDE_ENCODE error', () => {
    expect(thrown(() => json(z.bigint()).encode(1n, context)).code).toBe('KAFKIT_SERDE_ENCODE')
    expect(thrown(() => json(z.undefined()).encode(undefined, context)).code).toBe('KAFKIT_SERDE_ENCODE')
  })

  test('a schema with an async refinement returns Promises and still rejects invalid values', async () => {
    const serde = json(z.string().refine(async (value) => value.startsWith('ok')))
    const encoded = serde.encode('ok-1', context)
    expect(encoded).toBeInstanceOf(Promise)
    expect((await encoded).toString()).toBe('"ok-1"')
    await expect(serde.encode('bad', context)).rejects.toMatchObject({ code: 'KAFKIT_VALIDATION' })
    await expect(serde.decode(Buffer.from('"ok-2"'), context)).resolves.toBe('ok-2')
  })

  test('a synchronous schema encodes synchronously (no Promise per message)', () => {
    expect(json(Order).encode({ id: 'o', lines: [], at: new Date() }, context)).toBeInstanceOf(Buffer)
  })
})
