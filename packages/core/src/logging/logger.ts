import { pino } from 'pino'

/** Severity of a log line, lowest last. `silent` logs nothing. */
export type KafkitLogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

/** One log method: an object of structured fields and a message, as pino takes them. */
export type KafkitLogFn = (fields: Record<string, unknown>, message: string) => void

/**
 * The logger kafkit writes through: the part of a pino `Logger` kafkit uses, so any pino
 * instance (or child) fits, and so does another logger with the same shape.
 */
export interface KafkitLogger {
  /** The logger's threshold, e.g. `'info'` (pino's `logger.level`). */
  level: string
  error: KafkitLogFn
  warn: KafkitLogFn
  info: KafkitLogFn
  debug: KafkitLogFn
  /** A logger that adds `bindings` to every line (pino `child`). */
  child(bindings: Record<string, unknown>): KafkitLogger
}

const RANK: Record<KafkitLogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 }

/** The {@link KafkitLogLevel} of a logger's `level` (pino's `fatal` counts as `error`). */
export function levelOf(logger: Pick<KafkitLogger, 'level'>): KafkitLogLevel {
  const level = logger.level
  if (level === 'fatal') return 'error'
  return level in RANK ? (level as KafkitLogLevel) : 'info'
}

/** True when a line at `level` passes the `threshold`. */
export function enabled(threshold: KafkitLogLevel, level: Exclude<KafkitLogLevel, 'silent'>): boolean {
  return RANK[level] <= RANK[threshold]
}

/**
 * Field paths pino blanks out in the default logger, in case a caller logs a config
 * object. kafkit itself never logs credentials; engine lines are scrubbed too (see
 * `engineLogSink`).
 */
export const REDACTED_PATHS = ['password', '*.password', 'sasl.password', 'ssl.key', 'ssl.passphrase', 'auth.password', 'headers.authorization']

/**
 * The default logger: pino writing one JSON line per entry to stdout, named `kafkit`,
 * with the usual secret fields redacted.
 * @param level threshold. @default 'info'
 */
export function createDefaultLogger(level: KafkitLogLevel = 'info'): KafkitLogger {
  return pino({ name: 'kafkit', level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }) as unknown as KafkitLogger
}
