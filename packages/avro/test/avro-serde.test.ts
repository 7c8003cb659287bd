import { describe, expect, test } from 'vitest'
import { isKafkitError, type KafkitError, type SerdeContext } from '@kafkit/core'
import { avro, SchemaRegistry } from '../src/index.js'

const ctx: SerdeContext = { topic: 'payments', field: 'value' }

const payment = {
  type: 'record',
  name: 'Payment',
  namespace: 'com.example',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'cents', type: 'long' },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
    { name: 'lines', type: { type: 'array', items: { type: 'record', name: 'Line', fields: [{ name: 'qty', type: 'int' }] } }, default: [] },
  ],
} as const

function caught(fn: () => unknown): KafkitError {
  try {
    fn()
  } catch (error) {
    if (isKafkitError(error)) return error
    throw error
  }
  throw new Error('expected a KafkitError')
}

describe('avro() without a registry', () => {
  test('round-trips plain Avro binary, synchronously', () => {
    const serde = avro(payment)
    const bytes = serde.encode({ id: 'p1', cents: 1250, note: 'hi', tags: ['a'], lines: [{ qty: 2 }] }, ctx)
    expect(Buffer.isBuffer(bytes)).toBe(true)
    // Plain Avro body: no magic byte + id header (the string length 2 zigzag-encodes to 4).
    expect((bytes as Buffer)[0]).toBe(4)
    expect(serde.decode(bytes as Buffer, ctx)).toEqual({ id: 'p1', cents: 1250, note: 'hi', tags: ['a'], lines: [{ qty: 2 }] })
  })

  test('writes defaults for fields left out', () => {
    const serde = avro(payment)
    const bytes = serde.encode({ id: 'p2', cents: 1 }, ctx) as Buffer
    expect(serde.decode(bytes, ctx)).toEqual({ id: 'p2', cents: 1, note: null, tags: [], lines: [] })
  })

  test('a value that does not fit gives KAFKIT_VALIDATION with the path of each problem and the topic', () => {
    const serde = avro(payment)
    const error = caught(() => serde.encode({ id: 7, cents: 1.5, lines: [{ qty: 'x' }] } as never, ctx))
    expect(error.code).toBe('KAFKIT_VALIDATION')
    expect(error.retriable).toBe(false)
    expect(error.context).toMatchObject({ topic: 'payments', field: 'value' })
    expect(error.issues.map((i) => i.path.join('.'))).toEqual(['id', 'cents', 'lines.0.qty'])
    expect(error.message).toContain('lines.0.qty: expected int, got "x"')
  })

  test('a missing required field is named', () => {
    const error = caught(() => avro(payment).encode({ cents: 1 } as never, ctx))
    expect(error.code).toBe('KAFKIT_VALIDATION')
    expect(error.issues[0]).toMatchObject({ path: ['id'], message: 'expected string, got undefined (missing)' })
  })

  test('bytes that are not this schema give KAFKIT_SERDE_DECODE with the topic', () => {
    const serde = avro(payment)
    const truncated = (serde.encode({ id: 'p3', cents: 3 }, ctx) as Buffer).subarray(0, 2)
    const error = caught(() => serde.decode(truncated, { ...ctx, partition: 2, offset: '41' }))
    expect(error.code).toBe('KAFKIT_SERDE_DECODE')
    expect(error.context).toMatchObject({ topic: 'payments', partition: 2, offset: '41' })
    const trailing = Buffer.concat([serde.encode({ id: 'p3', cents: 3 }, ctx) as Buffer, Buffer.from([1, 2, 3])])
    expect(caught(() => serde.decode(trailing, ctx)).code).toBe('KAFKIT_SERDE_DECODE')
  })

  test('an invalid schema fails at creation with KAFKIT_CONFIG', () => {
    const error = caught(() => avro({ type: 'record', name: 'Bad', fields: [{ name: 'x', type: 'nope' }] }))
    expect(error.code).toBe('KAFKIT_CONFIG')
    expect(error.message).toContain('nope')
  })

  test('values larger than the scratch buffer (4 KiB) encode whole, and later small ones too', () => {
    const serde = avro(payment)
    const big = { id: 'x'.repeat(10_000), cents: 1, note: 'é'.repeat(5_000), tags: [], lines: [] }
    const bytes = serde.encode(big, ctx)
    expect(serde.decode(bytes, ctx)).toEqual(big)
    const small = serde.encode({ id: 's', cents: 2 }, ctx)
    expect(serde.decode(small, ctx)).toMatchObject({ id: 's', cents: 2 })
    // Each call returns its own bytes: the first result is not overwritten by the second.
    expect(serde.decode(bytes, ctx)).toEqual(big)
  })

  test('accepts the schema as JSON text', () => {
    const serde = avro(JSON.stringify(payment))
    expect(serde.decode(serde.encode({ id: 'a', cents: 2 }, ctx) as Buffer, ctx)).toMatchObject({ id: 'a', cents: 2 })
  })
})

describe('avro() with a registry: checks before any registry call', () => {
  // Port 9 (discard) on localhost refuses connections: any registry call would fail loudly.
  const registry = new SchemaRegistry({ url: 'http://127.0.0.1:9' })
  const serde = avro(payment, { registry })

  test('a wrong magic byte gives KAFKIT_SERDE_MAGIC_BYTE, not retriable, with the topic', () => {
    const error = caught(() => serde.decode(Buffer.from([1, 0, 0, 0, 1, 2]), { ...ctx, partition: 0, offset: '5' }))
    expect(error.code).toBe('KAFKIT_SERDE_MAGIC_BYTE')
    expect(error.retriable).toBe(false)
    expect(error.context).toMatchObject({ topic: 'payments', field: 'value', partition: 0, offset: '5' })
    expect(error.message).toContain('magic byte 1')
  })

  test('bytes shorter than the header give KAFKIT_SERDE_MAGIC_BYTE', () => {
    expect(caught(() => serde.decode(Buffer.from([0, 0, 1]), ctx)).code).toBe('KAFKIT_SERDE_MAGIC_BYTE')
    expect(caught(() => serde.decode(Buffer.alloc(0), ctx)).code).toBe('KAFKIT_SERDE_MAGIC_BYTE')
  })

  test('an unreachable registry gives KAFKIT_REGISTRY, retriable, with the topic', async () => {
    const error = await Promise.resolve()
      .then(() => serde.decode(Buffer.from([0, 0, 0, 0, 42, 2]), ctx))
      .then(
        () => undefined,
        (e: unknown) => e as KafkitError,
      )
    expect(error?.code).toBe('KAFKIT_REGISTRY')
    expect(error?.retriable).toBe(true)
    expect(error?.context).toMatchObject({ topic: 'payments', schemaId: 42 })
  })

  test('encode against an unreachable registry rejects with KAFKIT_REGISTRY naming the subject', async () => {
    await expect(Promise.resolve().then(() => serde.encode({ id: 'x', cents: 1 }, ctx))).rejects.toMatchObject({
      code: 'KAFKIT_REGISTRY',
      retriable: true,
      context: { topic: 'payments', subject: 'payments-value' },
    })
  })
})
