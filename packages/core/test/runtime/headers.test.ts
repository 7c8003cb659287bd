import { describe, expect, it } from 'vitest'
import { KafkitError } from '../../src/errors.js'
import { buildDeadLetterRecord, buildRetryRecord } from '../../src/runtime/dead-letter.js'
import { describeError } from '../../src/runtime/error-info.js'
import { KafkitHeaders, SpringHeaders, parseDeadLetterHeaders } from '../../src/runtime/headers.js'
import type { RawRecord } from '../../src/runtime/records.js'

const record: RawRecord = {
  topic: 'orders',
  partition: 3,
  offset: '9007199254740993',
  timestamp: '1700000000000',
  key: Buffer.from('k1'),
  value: Buffer.from([0xff, 0x00, 0x01]),
  headers: { 'trace-id': Buffer.from('abc'), multi: ['a', Buffer.from('b')] },
}
const error = describeError(new KafkitError('KAFKIT_SERDE_DECODE', 'invalid JSON'))

describe('dead-letter headers', () => {
  it('keeps key, raw value bytes and user headers, and adds the diagnostics (kafkit mode)', () => {
    const out = buildDeadLetterRecord({ record, topic: 'orders.dlq', groupId: 'g1', attempt: 1, error, now: 1700000001000 }, 'kafkit')
    expect(out.topic).toBe('orders.dlq')
    expect(out.key).toEqual(Buffer.from('k1'))
    expect(out.value).toEqual(Buffer.from([0xff, 0x00, 0x01]))
    expect(out.headers['trace-id']).toEqual(Buffer.from('abc'))
    expect(out.headers['multi']).toEqual(['a', Buffer.from('b')])
    expect(parseDeadLetterHeaders(out.headers)).toMatchObject({
      mode: 'kafkit', originalTopic: 'orders', originalPartition: 3, originalOffset: '9007199254740993',
      originalTimestamp: '1700000000000', groupId: 'g1', attempts: 1, errorCode: 'KAFKIT_SERDE_DECODE',
      errorClass: 'KafkitError', errorMessage: 'invalid JSON', failedAt: 1700000001000,
    })
  })

  it('writes Spring kafka_dlt-* names with Spring binary encodings and reads them back', () => {
    const out = buildDeadLetterRecord({ record, topic: 'orders.DLT', groupId: 'g1', attempt: 4, error, now: 1 }, 'spring')
    const h = out.headers
    expect(h[KafkitHeaders.originalTopic]).toBeUndefined()
    expect((h[SpringHeaders.originalPartition] as Buffer).equals(Buffer.from([0, 0, 0, 3]))).toBe(true)
    expect((h[SpringHeaders.originalOffset] as Buffer).readBigInt64BE()).toBe(9007199254740993n)
    expect((h[SpringHeaders.originalTimestamp] as Buffer).length).toBe(8)
    expect(String(h[SpringHeaders.exceptionFqcn])).toBe('KafkitError')
    expect(parseDeadLetterHeaders(h)).toMatchObject({
      mode: 'spring', originalTopic: 'orders', originalPartition: 3, originalOffset: '9007199254740993',
      originalTimestamp: '1700000000000', groupId: 'g1', errorCode: 'KAFKIT_SERDE_DECODE', attempts: 4,
    })
  })

  it('bounds the stack', () => {
    const big = new Error('boom')
    big.stack = 'x'.repeat(10_000)
    const out = buildDeadLetterRecord({ record, topic: 'd', groupId: 'g', attempt: 1, error: describeError(big, 100), now: 1 }, 'kafkit')
    expect(String(out.headers[KafkitHeaders.errorStack]).length).toBe(100)
  })

  it('keeps the first source across retry-topic hops and adds up attempts', () => {
    const hop1 = buildRetryRecord({ record, topic: 'orders.retry.10s', groupId: 'g1', attempt: 3, error, now: 1_000 }, 10_000)
    expect(hop1.headers[KafkitHeaders.retryDueAt]).toBe('11000')
    const fromRetry: RawRecord = { ...record, topic: 'orders.retry.10s', partition: 0, offset: '7', headers: hop1.headers }
    const dlq = buildDeadLetterRecord({ record: fromRetry, topic: 'orders.dlq', groupId: 'g1', attempt: 2, error, now: 2_000 }, 'kafkit')
    const info = parseDeadLetterHeaders(dlq.headers)
    expect(info).toMatchObject({ originalTopic: 'orders', originalPartition: 3, originalOffset: '9007199254740993', attempts: 5 })
    expect(dlq.headers[KafkitHeaders.retryDueAt]).toBeUndefined()
    expect(dlq.headers['trace-id']).toEqual(Buffer.from('abc'))
  })

  it('parses nothing from a record without diagnostics', () => {
    expect(parseDeadLetterHeaders({ a: 'b' })).toEqual({})
  })
})

describe('describeError', () => {
  it('keeps KafkitError codes and verdicts; plain errors are retriable handler errors', () => {
    expect(describeError(new TypeError('x'))).toMatchObject({ code: 'KAFKIT_HANDLER', className: 'TypeError', retriable: true })
    expect(describeError(new KafkitError('KAFKIT_KAFKA', 'x', { retriable: true }))).toMatchObject({ code: 'KAFKIT_KAFKA', retriable: true })
    expect(describeError(new KafkitError('KAFKIT_VALIDATION', 'x', { retriable: true })).retriable).toBe(false)
    expect(describeError('a string')).toMatchObject({ message: 'a string', retriable: true })
  })
})
