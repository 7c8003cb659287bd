import { describe, expect, test } from 'vitest'
import { absentBackoff, TopicPresence } from '../../../src/internal/transport/topic-presence.js'

describe('TopicPresence', () => {
  test('a refused topic is due again after a backoff that doubles from 100 ms to 5 s (±20 %)', () => {
    const presence = new TopicPresence()
    const gaps: number[] = []
    let now = 1_000_000
    for (let attempt = 0; attempt < 9; attempt++) {
      presence.markAbsent('orders', now, 3)
      const dueAt = presence.dueAt('orders')!
      gaps.push(dueAt - now)
      expect(presence.due(dueAt - 1)).toEqual([])
      expect(presence.due(dueAt)).toEqual(['orders'])
      now = dueAt
    }
    const bases = [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(bases[i]! * 0.8)
      expect(gap).toBeLessThanOrEqual(bases[i]! * 1.2)
    })
  })

  test('keeps the last refusal code per topic, and forgets a topic entirely', () => {
    const presence = new TopicPresence()
    presence.markAbsent('a', 0, 3)
    presence.markAbsent('b', 0, 29)
    expect(presence.code('a')).toBe(3)
    expect(presence.code('b')).toBe(29)
    expect(presence.topics().sort()).toEqual(['a', 'b'])
    presence.forget('a')
    expect(presence.dueAt('a')).toBeUndefined()
    expect(presence.code('a')).toBeUndefined()
    // A topic refused again after it was forgotten starts from the first backoff.
    presence.markAbsent('a', 0, 3)
    expect(presence.dueAt('a')!).toBeLessThanOrEqual(120)
    expect(presence.topics().sort()).toEqual(['a', 'b'])
  })

  test('absentBackoff stays within 5 s ± 20 % however many attempts', () => {
    for (const attempt of [0, 10, 100, 10_000]) expect(absentBackoff(attempt)).toBeLessThanOrEqual(6000)
  })
})
