/**
 * How long to wait before retry number `n` (1-based): exponential growth from `initialMs`
 * by `multiplier`, capped at `maxMs`, then spread by jitter so that many consumers failing
 * together do not retry in lockstep.
 */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. @default 200 */
  initialMs: number
  /** Upper bound of any delay, jitter included. @default 10_000 */
  maxMs: number
  /** Growth factor per retry. @default 2 */
  multiplier: number
  /**
   * `full`: uniform in [0, d]; `equal`: uniform in [d/2, d] (keeps a floor, the default);
   * `none`: exactly d. d is the capped exponential delay.
   * @default 'equal'
   */
  jitter: 'full' | 'equal' | 'none'
}

/** Defaults declared beside the shape, used when an option is left out. */
export const defaultBackoff: BackoffOptions = { initialMs: 200, maxMs: 10_000, multiplier: 2, jitter: 'equal' }

/** The capped exponential delay for retry `n` (1-based) before jitter. */
export function baseDelayMs(retry: number, options: BackoffOptions): number {
  const exponent = Math.max(0, retry - 1)
  // Computed in floating point and capped before rounding: large exponents give Infinity, which the cap absorbs.
  return Math.round(Math.min(options.maxMs, options.initialMs * options.multiplier ** exponent))
}

/** The interval a jittered delay for retry `n` falls in, both ends included. */
export function delayBoundsMs(retry: number, options: BackoffOptions): { minMs: number; maxMs: number } {
  const base = baseDelayMs(retry, options)
  switch (options.jitter) {
    case 'full':
      return { minMs: 0, maxMs: base }
    case 'equal':
      return { minMs: Math.floor(base / 2), maxMs: base }
    case 'none':
      return { minMs: base, maxMs: base }
  }
}

/**
 * The delay before retry `n` (1-based), within {@link delayBoundsMs}.
 * @param random a source of numbers in [0, 1); injectable for tests
 */
export function backoffDelayMs(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const { minMs, maxMs } = delayBoundsMs(retry, options)
  return minMs + Math.floor(random() * (maxMs - minMs + 1))
}
