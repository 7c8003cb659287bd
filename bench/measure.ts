// Shared measuring helpers of the benchmark cases.

/** One line of the benchmark table (and of bench/results/latest.json). */
export interface Row {
  case: string
  unit: string
  kafkit: number
  baseline: number
  baselineName: string
  /** kafkit / baseline: above 1 means kafkit is faster (for `better: 'lower'` rows, below 1 is better). */
  ratio: number
  /** `'lower'` for latencies; throughput rows leave it out. */
  better?: 'higher' | 'lower'
  /** How the row was measured, in one line (sizes, partitions, acks, rounds). */
  method?: string
  /** @platformatic/kafka doing the same work; null when it was not run (see `notes`). */
  platformatic?: number | null
  /** The Java client / the broker's own perf tools; null when not run. */
  java?: number | null
  /** kafkit / java. */
  ratioJava?: number | null
  /** The target for this row and whether this run reached it. */
  target?: { text: string; met: boolean }
  notes?: string[]
}

/** What each case module gets. */
export interface BenchContext {
  brokers: string[]
  schemaRegistryUrl?: string
  /** Quick mode (`KAFKIT_BENCH_QUICK=1`): small sizes and few rounds, for smoke runs; numbers are not comparable. */
  quick: boolean
  /** The peers, prepared once per run (each may be unavailable, with the reason). */
  peers: import('./peers/index.js').Peers
}

/** `full` normally, `quick` under KAFKIT_BENCH_QUICK=1. */
export function size<T>(context: { quick: boolean }, full: T, quick: T): T {
  return context.quick ? quick : full
}

/** The `p`-th percentile (0 to 100) of values already sorted ascending, nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/**
 * Runs every side once per round, after `warmUps` warm-up rounds (1 unless said), rotating
 * which side goes first so drift of the machine hits all alike; returns every round's result
 * by side. A side that throws in its first warm-up is left out (its error in `failed`); one
 * that throws later fails the case.
 */
export async function rotated<K extends string, T>(
  rounds: number,
  sides: Record<K, () => Promise<T>>,
  warmUps = 1,
): Promise<{ all: Partial<Record<K, T[]>>; failed: Partial<Record<K, string>> }> {
  const names = Object.keys(sides) as K[]
  const failed: Partial<Record<K, string>> = {}
  const live: K[] = []
  for (const name of names) {
    try {
      await sides[name]()
      live.push(name)
    } catch (error) {
      failed[name] = error instanceof Error ? error.message : String(error)
      console.error(`bench: ${name} left out: ${failed[name]}`)
    }
  }
  for (let round = 1; round < warmUps; round++) for (const name of live) await sides[name]()
  const all: Partial<Record<K, T[]>> = {}
  for (const name of live) all[name] = []
  const verbose = process.env['KAFKIT_BENCH_ROUNDS'] === '1'
  for (let round = 0; round < rounds; round++) {
    for (const name of roundOrder(live, round)) {
      const cpu = process.cpuUsage()
      const loop = performance.eventLoopUtilization()
      const result = await sides[name]()
      all[name]!.push(result)
      if (verbose) {
        // This process's own CPU in the round (user, system) and how busy its event loop was:
        // a side slower than usual in every round of one process tells JIT or GC (user), clock or
        // system calls (system), or waiting (neither) apart. Peers in child processes show ~0.
        const used = process.cpuUsage(cpu)
        const busy = performance.eventLoopUtilization(loop).utilization
        const shown = typeof result === 'number' ? Math.round(result) : JSON.stringify(result)
        console.error(`bench: round ${round + 1} ${name}: ${shown} (this process: user ${Math.round(used.user / 1000)} ms, system ${Math.round(used.system / 1000)} ms, loop busy ${Math.round(busy * 100)} %)`)
      }
    }
  }
  return { all, failed }
}

/**
 * The order of the sides in round `round`: a Williams design, in which every side follows
 * every other side equally often (once in `n` rounds for an even count of sides, twice in `2n`
 * for an odd one), and each starts a round in turn. A rotation (each round starting one side
 * later) kept every side's neighbours: the side after the Java tool ran after it in every
 * round, and on two cores paid for what a JVM leaves behind (JSON consume `handle` read 0.88×
 * `eachBatch` that way, 1.00–1.02× in the rounds it ran first); a seeded shuffle still put it
 * there 4 times in 11.
 */
export function roundOrder<K>(sides: readonly K[], round: number): K[] {
  const n = sides.length
  if (n < 2) return [...sides]
  const rows = n % 2 === 0 ? n : 2 * n
  const row = round % rows
  const order: K[] = []
  // Row r: r, r+1, r-1, r+2, r-2, ... (mod n); for an odd n, rows n..2n-1 are those reversed.
  for (let j = 0; j < n; j++) {
    const step = j === 0 ? 0 : j % 2 === 1 ? (j + 1) / 2 : n - j / 2
    order.push(sides[(row + step) % n] as K)
  }
  return row >= n ? order.reverse() : order
}

/** The median of `pick` over a side's rounds; undefined when the side did not run. */
export function medianOf<T>(results: T[] | undefined, pick: (result: T) => number): number | undefined {
  return results === undefined || results.length === 0 ? undefined : median(results.map(pick))
}

/**
 * The median of the per-round ratios `a[i] / b[i]` of two sides of one {@link rotated} run
 * (both ran in round `i`): undefined when either did not run. Rounds drift (a consume round
 * at the start of a run is slower than one at its end, for every client alike), and a side
 * that happened to run in the faster rounds would win a ratio of medians; paired by round,
 * the drift cancels.
 */
export function pairedRatio(a: number[] | undefined, b: number[] | undefined): number | undefined {
  if (a === undefined || b === undefined || a.length === 0 || a.length !== b.length) return undefined
  return median(a.map((value, i) => value / (b[i] as number)))
}

/** A row with peers: kafkit against kafkajs (the baseline), @platformatic/kafka and Java. */
export function peerRow(fields: {
  name: string
  unit: string
  method: string
  kafkit: number
  kafkajs: number
  baselineName: string
  platformatic?: number | undefined
  java?: number | undefined
  better?: 'higher' | 'lower'
  target?: { text: string; met: (ratio: number) => boolean }
  notes?: string[]
  /** The kafkit/kafkajs ratio when it is not that of the two medians: the {@link pairedRatio} of their rounds. */
  ratio?: number | undefined
}): Row {
  const round3 = (value: number) => Math.round(value * 1000) / 1000
  const unitRound = (value: number | undefined) => (value === undefined ? null : fields.unit === 'ms' ? Math.round(value * 100) / 100 : Math.round(value))
  const exact = fields.ratio ?? fields.kafkit / fields.kafkajs
  const ratio = round3(exact)
  return {
    case: fields.name,
    unit: fields.unit,
    kafkit: unitRound(fields.kafkit)!,
    baseline: unitRound(fields.kafkajs)!,
    baselineName: fields.baselineName,
    ratio,
    ...(fields.better === undefined ? {} : { better: fields.better }),
    method: fields.method,
    platformatic: unitRound(fields.platformatic),
    java: unitRound(fields.java),
    ratioJava: fields.java === undefined ? null : round3(fields.kafkit / fields.java),
    // Judged on the ratio as measured, not as rounded for the table (0.9495 is not 0.95).
    ...(fields.target === undefined ? {} : { target: { text: fields.target.text, met: fields.target.met(exact) } }),
    ...(fields.notes === undefined || fields.notes.length === 0 ? {} : { notes: fields.notes }),
  }
}

/** The median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The body of {@link opsLoop}'s loop; see there why it is compiled once per operation. */
const LOOP_BODY = `
  let sink = 0
  let done = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(durationMs) * 1000000n
  let now = start
  while (now < end) {
    for (let i = 0; i < 1000; i++) if (op(done + i) !== undefined) sink++
    done += 1000
    now = process.hrtime.bigint()
  }
  if (sink === -1) console.log('unreachable')
  return done / (Number(now - start) / 1e9)
`

/**
 * A measuring loop for the synchronous `op` alone: called with a duration, it runs `op` in
 * chunks of 1,000 until the time passed and returns operations per second (the result of
 * `op` goes to a sink so the engine cannot drop the work). Each call of `opsLoop` compiles a
 * loop of its own: one loop shared by every case would call a dozen different operations
 * from one call site, which V8 then neither inlines nor optimises for any of them, and the
 * rates came out halved and bimodal between processes. Each side is measured as a process
 * that runs that one operation (in a service with several contracts, kafkit's one decode call
 * site sees all their serdes). Make it once per side and call it each round.
 */
export function opsLoop(op: (i: number) => unknown): (durationMs: number) => number {
  const loop = new Function('op', 'durationMs', LOOP_BODY) as (op: (i: number) => unknown, durationMs: number) => number
  return (durationMs) => loop(op, durationMs)
}

/**
 * Runs `kafkit` and `baseline` in alternating rounds (so drift of the machine hits both
 * alike) after one warm-up round each, and returns the median rate of each side.
 */
export async function interleaved(
  rounds: number,
  kafkit: () => number | Promise<number>,
  baseline: () => number | Promise<number>,
): Promise<{ kafkit: number; baseline: number; rounds: { kafkit: number[]; baseline: number[] } }> {
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
  return { kafkit: median(a), baseline: median(b), rounds: { kafkit: a, baseline: b } }
}

/** A table row from the two medians. */
export function row(name: string, unit: string, result: { kafkit: number; baseline: number }, baselineName: string): Row {
  return { case: name, unit, kafkit: Math.round(result.kafkit), baseline: Math.round(result.baseline), baselineName, ratio: Math.round((result.kafkit / result.baseline) * 1000) / 1000 }
}
