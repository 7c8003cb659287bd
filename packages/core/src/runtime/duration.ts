import { KafkitError } from '../errors.js'

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const

/** A delay written as milliseconds (`1500`) or with a unit: `'500ms'`, `'10s'`, `'1m'`, `'2h'`. */
export type Duration = number | `${number}${keyof typeof UNIT_MS}`

/**
 * Milliseconds of a {@link Duration}.
 * @throws KafkitError `KAFKIT_CONFIG` naming `path` when the text is not a duration
 */
export function toMs(value: Duration, path: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw configError(path, `must be a non-negative number of ms, got ${String(value)}`)
    return Math.round(value)
  }
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(value).trim())
  if (!match) throw configError(path, `must be a duration like '500ms', '10s', '1m' or '2h', got '${String(value)}'`)
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS])
}

/**
 * The shortest exact label of a delay, used in retry topic names: 10000 → `10s`,
 * 60000 → `1m`, 90000 → `90s`, 1500 → `1500ms`.
 */
export function durationLabel(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`
  }
  return `${ms}ms`
}

function configError(path: string, message: string): KafkitError {
  return new KafkitError('KAFKIT_CONFIG', `${path} ${message}`, { issues: [{ path: path.split('.'), message }] })
}
