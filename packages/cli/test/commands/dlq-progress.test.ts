import { describe, expect, it } from 'vitest'
import { progressLine } from '../../src/commands/dlq.js'

const base = { dlqTopic: 'orders.dlq', total: 1_000_000, elapsedMs: 20_000, finished: false }

describe('progressLine', () => {
  it('says records done of the total, replayed, skipped, rate and time left', () => {
    expect(progressLine({ ...base, done: 120_000, remaining: 880_000, replayed: 118_000, skipped: 2_000, ratePerSecond: 6_000, etaMs: 146_667 })).toBe(
      'replay: 120000/1000000 read (12%), 118000 replayed, 2000 skipped, 6000/s, ~2m27s left',
    )
  })
  it('leaves the time out before there is a rate, and counts hours', () => {
    expect(progressLine({ ...base, done: 0, remaining: 1_000_000, replayed: 0, skipped: 0, ratePerSecond: 0, etaMs: undefined })).toBe('replay: 0/1000000 read (0%), 0 replayed, 0 skipped, 0/s')
    expect(progressLine({ ...base, done: 1, remaining: 999_999, replayed: 1, skipped: 0, ratePerSecond: 100, etaMs: 10_000_000 })).toContain('~2h46m left')
  })
})
