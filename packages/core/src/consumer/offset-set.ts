/**
 * A set of offsets per partition kept as sorted ranges, so a run of consecutive offsets
 * costs one range however long it is: the replay ledger of a 1,000,000-record dead-letter
 * topic replayed in full is one range per partition. Memory grows with the number of gaps
 * between members, not with the members. Offsets are numbers: exact up to 2^53, which a
 * partition written at a million records a second reaches in 285 years.
 */
export class OffsetSet {
  readonly #partitions = new Map<number, Ranges>()

  has(partition: number, offset: string | number): boolean {
    return this.#partitions.get(partition)?.has(Number(offset)) ?? false
  }

  add(partition: number, offset: string | number): void {
    let ranges = this.#partitions.get(partition)
    if (ranges === undefined) this.#partitions.set(partition, (ranges = new Ranges()))
    ranges.add(Number(offset))
  }

  delete(partition: number, offset: string | number): void {
    this.#partitions.get(partition)?.delete(Number(offset))
  }

  /** How many ranges are held: what the memory grows with. */
  get ranges(): number {
    let n = 0
    for (const r of this.#partitions.values()) n += r.size
    return n
  }
}

/** Disjoint, non-adjacent half-open ranges `[start, end)`, sorted. */
class Ranges {
  readonly #starts: number[] = []
  readonly #ends: number[] = []

  get size(): number {
    return this.#starts.length
  }

  /** Index of the last range starting at or before `n`, or -1. */
  #floor(n: number): number {
    const starts = this.#starts
    // The common case, offsets arriving in order: the last range.
    const last = starts.length - 1
    if (last < 0 || starts[last]! <= n) return last
    let lo = 0
    let hi = last
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (starts[mid]! <= n) lo = mid
      else hi = mid - 1
    }
    return starts[lo]! <= n ? lo : -1
  }

  has(n: number): boolean {
    const i = this.#floor(n)
    return i >= 0 && n < this.#ends[i]!
  }

  add(n: number): void {
    const i = this.#floor(n)
    const starts = this.#starts
    const ends = this.#ends
    if (i >= 0 && n < ends[i]!) return
    const joinsLeft = i >= 0 && ends[i] === n
    const joinsRight = i + 1 < starts.length && starts[i + 1] === n + 1
    if (joinsLeft && joinsRight) {
      ends[i] = ends[i + 1]!
      starts.splice(i + 1, 1)
      ends.splice(i + 1, 1)
    } else if (joinsLeft) {
      ends[i] = n + 1
    } else if (joinsRight) {
      starts[i + 1] = n
    } else {
      starts.splice(i + 1, 0, n)
      ends.splice(i + 1, 0, n + 1)
    }
  }

  delete(n: number): void {
    const i = this.#floor(n)
    if (i < 0 || n >= this.#ends[i]!) return
    const start = this.#starts[i]!
    const end = this.#ends[i]!
    if (start === n && end === n + 1) {
      this.#starts.splice(i, 1)
      this.#ends.splice(i, 1)
    } else if (start === n) {
      this.#starts[i] = n + 1
    } else if (end === n + 1) {
      this.#ends[i] = n
    } else {
      this.#ends[i] = n
      this.#starts.splice(i + 1, 0, n + 1)
      this.#ends.splice(i + 1, 0, end)
    }
  }
}
