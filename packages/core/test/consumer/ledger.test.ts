import { describe, expect, it } from 'vitest'
import { fingerprint, parseLedgerValue, ReplayLedger } from '../../src/consumer/ledger.js'
import type { RawRecord } from '../../src/runtime/records.js'

const record = (over: Partial<RawRecord> = {}): RawRecord => ({ topic: 'orders.dlq', partition: 0, offset: '5', timestamp: '1700000000000', key: Buffer.from('k'), value: Buffer.from('v'), headers: { 'kafkit-original-offset': '5' }, ...over })

describe('fingerprint', () => {
  it('is the timestamp and a hash that changes with the timestamp, key, value or any header, not with the position', () => {
    const fp = fingerprint(record())
    expect(fp).toMatch(/^1700000000000-[0-9a-f]{16}$/)
    expect(fingerprint(record({ offset: '6', partition: 2, topic: 'other' }))).toBe(fp)
    expect(fingerprint(record({ headers: { 'kafkit-original-offset': Buffer.from('5') } }))).toBe(fp)
    const others = [
      record({ timestamp: '1700000000001' }),
      record({ key: null }),
      record({ key: Buffer.from('kv'), value: Buffer.from('') }),
      record({ value: null }),
      record({ headers: { 'kafkit-original-offset': '6' } }),
      record({ headers: { 'kafkit-original-offset': ['5', '5'] } }),
      record({ headers: { 'kafkit-original-offset': '5', 'kafkit-failed-at': '1' } }),
    ].map((r) => fingerprint(r).slice(-16))
    expect(new Set([fp.slice(-16), ...others]).size).toBe(others.length + 1)
  })
})

describe('ReplayLedger', () => {
  it('counts a position as replayed only for the record whose fingerprint was noted there', () => {
    const ledger = new ReplayLedger()
    const old = record()
    const recreated = record({ timestamp: '1700000999999', value: Buffer.from('new') })
    ledger.add(0, '5', fingerprint(old))
    expect(ledger.replayed(0, '5', () => fingerprint(old))).toBe(true)
    expect(ledger.replayed(0, '5', () => fingerprint(recreated))).toBe(false)
    expect(ledger.replayed(0, '6', () => fingerprint(old))).toBe(false)
    expect(ledger.replayed(1, '5', () => fingerprint(old))).toBe(false)
    // A later entry replaces an earlier one (compaction keeps the last), a tombstone removes it.
    ledger.add(0, '5', fingerprint(recreated))
    expect(ledger.replayed(0, '5', () => fingerprint(recreated))).toBe(true)
    expect(ledger.replayed(0, '5', () => fingerprint(old))).toBe(false)
    ledger.delete(0, '5')
    expect(ledger.listed(0, '5')).toBe(false)
  })

  it('trusts entries written without a fingerprint (older kafkit), and computes no fingerprint where nothing is noted', () => {
    const ledger = new ReplayLedger()
    ledger.add(3, 1_000, undefined)
    expect(ledger.replayed(3, 1_000, () => 'anything')).toBe(true)
    let computed = 0
    expect(ledger.replayed(3, 1_001, () => (computed++, 'x'))).toBe(false)
    expect(ledger.replayed(4, 0, () => (computed++, 'x'))).toBe(false)
    expect(computed).toBe(0)
  })

  it('holds a contiguous run in blocks of 32 offsets', () => {
    const ledger = new ReplayLedger()
    for (let i = 0; i < 100_000; i++) ledger.add(0, i, `1-${(i * 2654435761 >>> 0).toString(16).padStart(16, '0')}`)
    expect(ledger.blocks).toBe(Math.ceil(100_000 / 32))
    expect(ledger.listed(0, 99_999)).toBe(true)
    expect(ledger.listed(0, 100_000)).toBe(false)
  })
})

describe('parseLedgerValue', () => {
  it('reads entries with and without a fingerprint, and nothing from other bytes', () => {
    expect(parseLedgerValue(Buffer.from('{"target":"orders","at":5,"fp":"1-00"}'))).toEqual({ target: 'orders', at: 5, fp: '1-00' })
    expect(parseLedgerValue(Buffer.from('{"target":"orders","at":5}'))).toEqual({ target: 'orders', at: 5 })
    expect(parseLedgerValue(Buffer.from('not json'))).toBeUndefined()
    expect(parseLedgerValue(Buffer.from('null'))).toBeUndefined()
  })
})
