import { describe, expect, it } from 'vitest'
import { backoffDelayMs, baseDelayMs, delayBoundsMs, type BackoffOptions } from '../../src/runtime/backoff.js'
import { durationLabel, toMs } from '../../src/runtime/duration.js'

const opts: BackoffOptions = { initialMs: 100, maxMs: 5_000, multiplier: 2, jitter: 'equal' }

describe('backoff', () => {
  it('grows exponentially from initialMs and caps at maxMs', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => baseDelayMs(n, opts))).toEqual([100, 200, 400, 800, 1600, 3200, 5000])
    expect(baseDelayMs(10_000, opts)).toBe(5_000)
  })

  it('keeps every jittered delay within its bounds, including the extremes of random()', () => {
    for (const jitter of ['full', 'equal', 'none'] as const) {
      const o = { ...opts, jitter }
      for (let retry = 1; retry <= 12; retry++) {
        const { minMs, maxMs } = delayBoundsMs(retry, o)
        for (const r of [0, 0.25, 0.5, 0.999999, Math.random()]) {
          const d = backoffDelayMs(retry, o, () => r)
          expect(d).toBeGreaterThanOrEqual(minMs)
          expect(d).toBeLessThanOrEqual(maxMs)
          expect(d).toBeLessThanOrEqual(o.maxMs)
        }
      }
    }
  })

  it('equal jitter keeps half the delay as a floor; full jitter may go to zero; none is exact', () => {
    expect(delayBoundsMs(3, opts)).toEqual({ minMs: 200, maxMs: 400 })
    expect(delayBoundsMs(3, { ...opts, jitter: 'full' })).toEqual({ minMs: 0, maxMs: 400 })
    expect(backoffDelayMs(3, { ...opts, jitter: 'none' }, () => 0.7)).toBe(400)
    expect(backoffDelayMs(3, opts, () => 0)).toBe(200)
    expect(backoffDelayMs(3, opts, () => 0.999999)).toBe(400)
  })

  it('spreads delays (jitter actually varies)', () => {
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelayMs(6, opts)))
    expect(seen.size).toBeGreaterThan(5)
  })
})

describe('durations', () => {
  it('parses units and labels delays with the shortest exact unit', () => {
    expect(toMs('500ms', 'x')).toBe(500)
    expect(toMs('10s', 'x')).toBe(10_000)
    expect(toMs('1m', 'x')).toBe(60_000)
    expect(toMs('2h', 'x')).toBe(7_200_000)
    expect(toMs(1500, 'x')).toBe(1500)
    expect(durationLabel(10_000)).toBe('10s')
    expect(durationLabel(60_000)).toBe('1m')
    expect(durationLabel(90_000)).toBe('90s')
    expect(durationLabel(1_500)).toBe('1500ms')
    expect(durationLabel(3_600_000)).toBe('1h')
  })

  it('rejects bad durations naming the path', () => {
    expect(() => toMs('10 parsecs' as never, 'retryTopics.delays.1')).toThrow(/retryTopics\.delays\.1 must be a duration/)
    expect(() => toMs(-1, 'a.b')).toThrow(/a\.b must be a non-negative/)
  })
})
