import { isKafkitError } from '../errors.js'

/** What kafkit records about a failure: enough for headers, events and retry decisions. */
export interface ErrorInfo {
  /** A `KafkitError` code, or `KAFKIT_HANDLER` for any other error a handler throws. */
  code: string
  /** The error's class name, e.g. `TypeError`, `KafkitError`. */
  className: string
  message: string
  /** The stack, cut to `stackLimit` characters. */
  stack: string
  /** Whether trying again may help (see {@link describeError}). */
  retriable: boolean
  /** The class name of `cause`, when there is one. */
  causeClassName?: string
  /** A `KafkitError`'s `context.reason`, when it gives one (`'credentials'`: the schema registry refuses kafkit's credentials; `'authorization'`: a missing ACL). */
  reason?: string
}

const SERDE_CODES = new Set(['KAFKIT_VALIDATION', 'KAFKIT_SERDE_DECODE', 'KAFKIT_SERDE_MAGIC_BYTE', 'KAFKIT_SERDE_UNKNOWN_SCHEMA'])

/** True for the codes of bytes that can never be decoded as they are: retrying cannot help. */
export function isPoisonCode(code: string): boolean {
  return SERDE_CODES.has(code)
}

/**
 * Describes any thrown value. A `KafkitError` keeps its code and `retriable` verdict; any
 * other error from a handler is `KAFKIT_HANDLER` and retriable, since handlers mostly fail
 * on transient things (a database, an HTTP call). Throw a `KafkitError` with
 * `retriable: false`, or set `retry.retryIf`, to say otherwise.
 */
export function describeError(error: unknown, stackLimit = 4_000): ErrorInfo {
  const err = error instanceof Error ? error : undefined
  const className = err ? (err.constructor?.name || err.name || 'Error') : typeof error
  const cause = err?.cause
  const info: ErrorInfo = {
    code: isKafkitError(error) ? error.code : 'KAFKIT_HANDLER',
    className: isKafkitError(error) ? 'KafkitError' : className,
    message: err ? err.message : String(error),
    stack: (err?.stack ?? '').slice(0, Math.max(0, stackLimit)),
    retriable: isKafkitError(error) ? error.retriable && !isPoisonCode(error.code) : true,
  }
  if (cause instanceof Error) info.causeClassName = cause.constructor?.name || cause.name
  const reason = isKafkitError(error) ? error.context['reason'] : undefined
  if (typeof reason === 'string') info.reason = reason
  return info
}
