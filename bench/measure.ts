// Shared measuring helpers of the benchmark cases.

/** One line of the benchmark table (and of bench/results/latest.json). */
export interface Row {
  case: string
  unit: string
  kafkit: number
  baseline: number
  baselineName: string
  /** kafkit / baseline: above 1 means kafkit is faster. */
  ratio: number
}

/** What each case module gets. */
export interface BenchContext {
  brokers: string[]
  schemaRegistryUrl?: string
}

/** The median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * Operations per second of a synchronous `op`, run in chunks until `durationMs` passed.
 * The result of `op` is kept in a sink so the engine cannot drop the work.
 */
export function opsPerSecond(op: (i: number) => unknown, durationMs: number): number {
  let sink = 0
  let done = 0
  const chunk = 1_000
  const start = process.hrtime.bigint()
  const end = start + BigInt(durationMs) * 1_000_000n
  let now = start
  while (now < end) {
    for (let i = 0; i < chunk; i++) if (op(done + i) !== undefined) sink++
    done += chunk
    now = process.hrtime.bigint()
  }
  if (sink === -1) console.log('unreachable')
  return done / (Number(now - start) / 1e9)
}

/**
 * Runs `kafkit` and `baseline` in alternating rounds (so drift of the machine hits both
 * alike) after one warm-up round each, and returns the median rate of each side.
 */
export async function interleaved(rounds: number, kafkit: () => number | Promise<number>, baseline: () => number | Promise<number>): Promise<{ kafkit: number; baseline: number }> {
  await kafkit()
  await baseline()
  const a: number[] = []
  const b: number[] = []
  for (let round = 0; round < rounds; round++) {
    // Alternate which side goes first, so neither always runs on a warmer machine.
    if (round % 2 === 0) {
      a.push(await kafkit())
      b.push(await baseline())
    } else {
      b.push(await baseline())
      a.push(await kafkit())
    }
  }
  return { kafkit: median(a), baseline: median(b) }
}

/** A table row from the two medians. */
export function row(name: string, unit: string, result: { kafkit: number; baseline: number }, baselineName: string): Row {
  return { case: name, unit, kafkit: Math.round(result.kafkit), baseline: Math.round(result.baseline), baselineName, ratio: Math.round((result.kafkit / result.baseline) * 1000) / 1000 }
}
