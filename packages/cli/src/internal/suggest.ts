/**
 * Edit distance between `a` and `b` (optimal string alignment: insertions, deletions,
 * substitutions and swaps of two neighbouring characters each cost 1), so `ordres.dlq`
 * is as close to `orders.dlq` as `orders.dlqq` is.
 */
export function editDistance(a: string, b: string): number {
  // Three rows of the dynamic-programming table: the swap looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0)
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1)
      current.push(best)
    }
    before = previous
    previous = current
  }
  return previous[b.length]!
}

/** `orders.dlq`, `orders-DLT` (Spring), `orders.dead-letters`: a name a dead-letter topic has. */
export function looksLikeDeadLetterTopic(name: string): boolean {
  return /(^|[._-])(dlq|dlt|dead[._-]?letters?)([._-]|$)/i.test(name)
}

/**
 * The names among `candidates` close to `name`, closest first, at most `limit`: an edit
 * distance (ignoring case) of at most a third of the name's length, and at most 3. At equal
 * distance, dead-letter-looking names come first when `preferDeadLetters`, then the one
 * closer in case, then by name.
 * The replay ledgers of `kafkit dlq replay` (`<dlq>.replayed`) are never suggested.
 */
export function closeNames(name: string, candidates: readonly string[], options: { limit?: number; preferDeadLetters?: boolean } = {}): string[] {
  const { limit = 3, preferDeadLetters = false } = options
  const wanted = name.toLowerCase()
  const maximum = Math.min(3, Math.max(1, Math.floor(name.length / 3)))
  const scored: { candidate: string; distance: number; deadLetter: boolean; exact: number }[] = []
  for (const candidate of candidates) {
    if (candidate === name || (candidate.endsWith('.replayed') && !name.endsWith('.replayed'))) continue
    // Lengths further apart than the maximum cannot be within it: skip the table.
    if (Math.abs(candidate.length - name.length) > maximum) continue
    const distance = editDistance(wanted, candidate.toLowerCase())
    if (distance <= maximum) scored.push({ candidate, distance, deadLetter: preferDeadLetters && looksLikeDeadLetterTopic(candidate), exact: editDistance(name, candidate) })
  }
  scored.sort((x, y) => x.distance - y.distance || Number(y.deadLetter) - Number(x.deadLetter) || x.exact - y.exact || (x.candidate < y.candidate ? -1 : 1))
  return scored.slice(0, limit).map((entry) => entry.candidate)
}

/** `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`. */
export function quotedChoice(names: readonly string[]): string {
  const quoted = names.map((n) => `'${n}'`)
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`
}
