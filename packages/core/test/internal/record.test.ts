import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { buffer, defineTopic, json, type KafkitError, optional, type Serde, string } from '../../src/index.js'
import { decodeRecord, encodeRecord, encodeRecords } from '../../src/internal/record.js'

const Activity = defineTopic({
  name: 'activity',
  key: string(),
  value: json(z.object({ userId: z.string(), at: z.coerce.date() })),
  headers: { 'trace-id': string(), attempt: optional(json(z.number().int())) },
})
const Keyless = defineTopic({ name: 'keyless', value: buffer() })

const at = new Date('2024-01-02T03:04:05.000Z')

describe('encodeRecord', () => {
  test('encodes key, value, contract headers, raw headers, partition and timestamp', () => {
    const wire = encodeRecord(Activity, {
      key: 'u1',
      value: { userId: 'u1', at },
      headers: { 'trace-id': 't-1', attempt: 2 },
      rawHeaders: { traceparent: '00-abc', 'trace-id': 'loses' },
      partition: 3,
      timestamp: at,
    })
    expect(wire).toEqual({
      key: Buffer.from('u1'),
      value: Buffer.from('{"userId":"u1","at":"2024-01-02T03:04:05.000Z"}'),
      headers: { traceparent: '00-abc', 'trace-id': Buffer.from('t-1'), attempt: Buffer.from('2') },
      partition: 3,
      timestamp: String(at.getTime()),
    })
  })

  test('leaves out an absent optional header', () => {
    const wire = encodeRecord(Activity, { key: 'u1', value: { userId: 'u1', at }, headers: { 'trace-id': 't' } }) as { headers: object }
    expect(Object.keys(wire.headers)).toEqual(['trace-id'])
  })

  test('a missing required header is a KAFKIT_VALIDATION error naming it', () => {
    expect(() => encodeRecord(Activity, { key: 'u1', value: { userId: 'u1', at } } as never)).toThrow(
      expect.objectContaining({ code: 'KAFKIT_VALIDATION', issues: [expect.objectContaining({ path: ['trace-id'] })], context: expect.objectContaining({ field: 'headers' }) }),
    )
  })

  test('key rules follow the contract', () => {
    expect(() => encodeRecord(Activity, { value: { userId: 'u1', at }, headers: { 'trace-id': 't' } } as never)).toThrow(expect.objectContaining({ code: 'KAFKIT_VALIDATION' }))
    expect(() => encodeRecord(Keyless, { key: 'k', value: Buffer.alloc(1) } as never)).toThrow(expect.objectContaining({ code: 'KAFKIT_VALIDATION' }))
    expect(encodeRecord(Keyless, { value: Buffer.from([1]) })).toEqual({ key: null, value: Buffer.from([1]) })
  })

  test('a throwing custom serde becomes KAFKIT_SERDE_ENCODE with the cause kept', () => {
    const boom = new Error('boom')
    const broken: Serde<string> = { format: 'broken', encode: () => { throw boom }, decode: () => '' }
    const Broken = defineTopic({ name: 'broken', value: broken })
    try {
      encodeRecord(Broken, { value: 'x' })
      expect.unreachable()
    } catch (error) {
      expect(error).toMatchObject({ code: 'KAFKIT_SERDE_ENCODE', cause: boom, context: { topic: 'broken', field: 'value' } })
    }
  })

  test('an async serde makes the record a Promise', async () => {
    const slow: Serde<string> = { format: 'slow', encode: async (v) => Buffer.from(v), decode: async (b) => b.toString() }
    const Slow = defineTopic({ name: 'slow', key: slow, value: slow, headers: { h: slow } })
    const wire = encodeRecord(Slow, { key: 'k', value: 'v', headers: { h: 'x' } })
    expect(wire).toBeInstanceOf(Promise)
    expect(await wire).toEqual({ key: Buffer.from('k'), value: Buffer.from('v'), headers: { h: Buffer.from('x') } })
  })
})

describe('encodeRecords', () => {
  test('fails the whole list on one invalid message and says which', () => {
    const messages = [
      { key: 'a', value: { userId: 'a', at }, headers: { 'trace-id': 't' } },
      { key: 'b', value: { userId: 7, at }, headers: { 'trace-id': 't' } },
    ]
    try {
      encodeRecords(Activity, messages as never)
      expect.unreachable()
    } catch (error) {
      const e = error as KafkitError
      expect(e.code).toBe('KAFKIT_VALIDATION')
      expect(e.context).toMatchObject({ topic: 'activity', field: 'value', index: 1 })
      expect(e.issues[0]?.path).toEqual(['userId'])
      expect(e.message).toMatch(/^message #1: /)
    }
  })
})

describe('decodeRecord', () => {
  const record = {
    topic: 'activity',
    partition: 2,
    offset: '41',
    timestamp: '1700000000000',
    key: Buffer.from('u1'),
    value: Buffer.from('{"userId":"u1","at":"2024-01-02T03:04:05.000Z"}'),
    headers: { 'trace-id': [Buffer.from('first'), 'last'], other: Buffer.from('x') },
  }

  test('decodes key, value and contract headers (last value of a repeated header)', () => {
    expect(decodeRecord(Activity, record)).toEqual({
      topic: 'activity',
      partition: 2,
      offset: '41',
      timestamp: '1700000000000',
      key: 'u1',
      value: { userId: 'u1', at },
      headers: { 'trace-id': 'last', attempt: undefined },
      rawHeaders: record.headers,
      receivedFrom: 'activity',
      attempt: 1,
    })
  })

  test('a poison value is a non-retriable error with topic, partition and offset', () => {
    try {
      decodeRecord(Activity, { ...record, value: Buffer.from('{"userId":1}') })
      expect.unreachable()
    } catch (error) {
      expect(error).toMatchObject({ code: 'KAFKIT_VALIDATION', retriable: false, context: { topic: 'activity', partition: 2, offset: '41', field: 'value' } })
    }
    expect(() => decodeRecord(Activity, { ...record, value: null })).toThrow(expect.objectContaining({ code: 'KAFKIT_VALIDATION', context: expect.objectContaining({ offset: '41' }) }))
    expect(() => decodeRecord(Activity, { ...record, headers: {} })).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: ['trace-id'] })] }))
  })

  test('a serde that reads its context gets the record\'s topic, field, partition and offset; one declared with the bytes alone fails with them too', () => {
    const seen: unknown[] = []
    const reading: Serde<string> = { format: 'reading', encode: (v) => Buffer.from(v), decode: (bytes, context) => (seen.push(context), bytes.toString()) }
    const rest: Serde<string> = { format: 'rest', encode: (v) => Buffer.from(v), decode: (...args: [Buffer, unknown]) => (seen.push(args[1]), args[0].toString()) }
    const bytesOnly: Serde<string> = { format: 'bytes-only', encode: (v) => Buffer.from(v), decode: (bytes) => { if (bytes.toString() === 'bad') throw new Error('no'); return bytes.toString() } }
    const place = { topic: 't', partition: 4, offset: '9', timestamp: '0', headers: {} }
    decodeRecord(defineTopic({ name: 't', key: reading, value: rest }), { ...place, key: Buffer.from('k'), value: Buffer.from('v') })
    expect(seen).toEqual([
      { topic: 't', field: 'key', partition: 4, offset: '9' },
      { topic: 't', field: 'value', partition: 4, offset: '9' },
    ])
    const Plain = defineTopic({ name: 't', key: bytesOnly, value: bytesOnly })
    expect(decodeRecord(Plain, { ...place, key: Buffer.from('k'), value: Buffer.from('v') })).toMatchObject({ key: 'k', value: 'v' })
    expect(() => decodeRecord(Plain, { ...place, key: Buffer.from('k'), value: Buffer.from('bad') })).toThrow(
      expect.objectContaining({ code: 'KAFKIT_SERDE_DECODE', context: expect.objectContaining({ topic: 't', field: 'value', partition: 4, offset: '9' }) }),
    )
  })

  test('declared headers are a fresh object per message; a contract without any gives one frozen empty object', () => {
    const one = decodeRecord(Activity, record) as { headers: object }
    const two = decodeRecord(Activity, record) as { headers: object }
    expect(one.headers).not.toBe(two.headers)
    const a = decodeRecord(Keyless, { ...record, topic: 'keyless', value: Buffer.from([1]) }) as { headers: object }
    const b = decodeRecord(Keyless, { ...record, topic: 'keyless', value: Buffer.from([2]) }) as { headers: object }
    expect(a.headers).toEqual({})
    expect(Object.isFrozen(a.headers)).toBe(true)
    expect(a.headers).toBe(b.headers)
  })

  test('a keyless contract yields key null', () => {
    expect(decodeRecord(Keyless, { ...record, topic: 'keyless', key: Buffer.from('ignored'), value: Buffer.from([1]) })).toMatchObject({ key: null, value: Buffer.from([1]), headers: {} })
  })
})

describe('a record that fails synchronously after async serde work started', () => {
  // An async serde that rejects a moment later, as a registry call that fails would.
  const late: Serde<string> = {
    format: 'late',
    encode: () => new Promise<Buffer>((_, reject) => setTimeout(() => reject(new Error('registry down')), 5)),
    decode: () => new Promise<string>((_, reject) => setTimeout(() => reject(new Error('registry down')), 5)),
  }
  const Late = defineTopic({ name: 'late', key: late, value: late, headers: { tenant: late } })

  async function unhandledDuring(run: () => void): Promise<unknown[]> {
    const seen: unknown[] = []
    const listener = (reason: unknown) => seen.push(reason)
    process.on('unhandledRejection', listener)
    try {
      expect(run).toThrow()
      await new Promise((resolve) => setTimeout(resolve, 50))
    } finally {
      process.off('unhandledRejection', listener)
    }
    return seen
  }

  test('encode: a missing required header after an async key and value leaves no unhandled rejection', async () => {
    expect(await unhandledDuring(() => encodeRecord(Late, { key: 'k', value: 'v' } as never))).toEqual([])
  })

  test('decode: a tombstone after an async key leaves no unhandled rejection', async () => {
    const record = { topic: 'late', partition: 0, offset: '7', timestamp: '0', key: Buffer.from('k'), value: null }
    expect(await unhandledDuring(() => decodeRecord(Late, record))).toEqual([])
  })
})
