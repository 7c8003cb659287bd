import { describe, expect, it } from 'vitest'
import { OffsetSet } from '../../src/consumer/offset-set.js'

/** The same operations on a plain Set, to compare with. */
function reference(ops: [op: 'add' | 'delete', partition: number, offset: number][]) {
  const set = new Set<string>()
  for (const [op, p, o] of ops) op === 'add' ? set.add(`${p}:${o}`) : set.delete(`${p}:${o}`)
  return set
}

describe('OffsetSet', () => {
  it('a contiguous run is one range per partition', () => {
    const set = new OffsetSet()
    for (let i = 0; i < 100_000; i++) set.add(i % 3, String(Math.floor(i / 3)))
    expect(set.ranges).toBe(3)
    expect(set.has(0, '0')).toBe(true)
    expect(set.has(2, '33332')).toBe(true)
    expect(set.has(2, '33333')).toBe(false)
    expect(set.has(3, '0')).toBe(false)
  })

  it('joins, splits and shrinks ranges on add and delete, agreeing with a plain set', () => {
    let seed = 7
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const ops: [op: 'add' | 'delete', partition: number, offset: number][] = []
    for (let i = 0; i < 5_000; i++) ops.push([random() < 0.7 ? 'add' : 'delete', Math.floor(random() * 2), Math.floor(random() * 300)])
    const set = new OffsetSet()
    for (const [op, p, o] of ops) op === 'add' ? set.add(p, o) : set.delete(p, o)
    const expected = reference(ops)
    for (const p of [0, 1]) for (let o = 0; o < 302; o++) expect(set.has(p, o), `${p}:${o}`).toBe(expected.has(`${p}:${o}`))
  })

  it('deleting inside a range splits it; adding the gap back joins it', () => {
    const set = new OffsetSet()
    for (let o = 0; o < 10; o++) set.add(0, o)
    set.delete(0, 5)
    expect(set.ranges).toBe(2)
    expect(set.has(0, 5)).toBe(false)
    expect(set.has(0, 4) && set.has(0, 6)).toBe(true)
    set.add(0, 5)
    expect(set.ranges).toBe(1)
  })
})
