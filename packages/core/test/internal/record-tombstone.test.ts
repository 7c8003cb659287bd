import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, type Serde, string } from '../../src/index.js'
import { decodeRecord, encodeRecord } from '../../src/internal/record.js'

const Profiles = defineTopic({ name: 'profiles', key: string(), value: json(z.object({ name: z.string() })), headers: { 'trace-id': string() }, tombstones: true })
const Plain = defineTopic({ name: 'plain', key: string(), value: json(z.object({ name: z.string() })) })
const record = { topic: 'profiles', partition: 1, offset: '9', timestamp: '0', key: Buffer.from('u1'), headers: { 'trace-id': Buffer.from('t') } }

describe('tombstones', () => {
  test('encode: value null on a contract with tombstones is a record without a value; the serde is not asked', () => {
    let asked = 0
    const counting: Serde<string> = { format: 'counting', encode: () => (asked++, Buffer.from('x')), decode: (b) => b.toString() }
    const Counted = defineTopic({ name: 'counted', key: string(), value: counting, tombstones: true })
    expect(encodeRecord(Counted, { key: 'u1', value: null })).toEqual({ key: Buffer.from('u1'), value: null })
    expect(asked).toBe(0)
    expect(encodeRecord(Profiles, { key: 'u1', value: null, headers: { 'trace-id': 't' } })).toEqual({ key: Buffer.from('u1'), value: null, headers: { 'trace-id': Buffer.from('t') } })
  })

  test('encode: without the declaration, value null still goes to the serde (a validation error here)', () => {
    expect(() => encodeRecord(Plain, { key: 'u1', value: null } as never)).toThrow(expect.objectContaining({ code: 'KAFKIT_VALIDATION' }))
  })

  test('decode: a record without a value is value null for a contract with tombstones, headers and key decoded', () => {
    expect(decodeRecord(Profiles, { ...record, value: null })).toMatchObject({ key: 'u1', value: null, headers: { 'trace-id': 't' }, offset: '9' })
  })

  test('decode: without the declaration a tombstone stays poison, naming the option', () => {
    expect(() => decodeRecord(Plain, { ...record, topic: 'plain', value: null })).toThrow(
      expect.objectContaining({ code: 'KAFKIT_VALIDATION', retriable: false, message: expect.stringContaining('tombstones: true') }),
    )
  })

  test('a contract with tombstones needs a key serde, and the flag must be a boolean', () => {
    expect(() => defineTopic({ name: 'x', value: string(), tombstones: true })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG', issues: [expect.objectContaining({ path: ['tombstones'] })] }))
    expect(() => defineTopic({ name: 'x', key: string(), value: string(), tombstones: 'yes' as never })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
    expect(defineTopic({ name: 'x', key: string(), value: string() }).tombstones).toBe(false)
  })
})
