/**
 * Every code a {@link KafkitError} can carry. Stable: tooling and alerts may match on them.
 */
export const KafkitErrorCodes = [
  /** A value, key or header failed its contract's validation (zod issues in `issues`). */
  'KAFKIT_VALIDATION',
  /** Bytes could not be decoded: invalid JSON, truncated Avro, wrong encoding. */
  'KAFKIT_SERDE_DECODE',
  /** A value could not be encoded (e.g. does not fit its Avro schema). */
  'KAFKIT_SERDE_ENCODE',
  /** Confluent wire format expected, but the first byte is not the magic byte 0. */
  'KAFKIT_SERDE_MAGIC_BYTE',
  /** The schema id in the message is unknown to the registry. */
  'KAFKIT_SERDE_UNKNOWN_SCHEMA',
  /**
   * The schema registry failed or could not be reached. Retriable when trying again may
   * help: unreachable, timed out, 408/429/5xx, a URL that is not the registry's API, and
   * credentials it refuses (401/403, `context.reason: 'credentials'`: fixing them is a
   * configuration change, not a property of any record, so a consumer holds its partitions
   * rather than dead-letter them).
   */
  'KAFKIT_REGISTRY',
  /** A schema is not compatible with its subject's registered versions. */
  'KAFKIT_SCHEMA_INCOMPATIBLE',
  /** Options or environment are invalid; the message names each path. */
  'KAFKIT_CONFIG',
  /** An existing topic differs from its contract (partitions, config). */
  'KAFKIT_TOPIC_DRIFT',
  /**
   * Authentication or authorization failed: wrong SASL credentials or mechanism, a broker
   * certificate the client does not trust, a missing ACL. Never retriable. A write refused
   * for a missing ACL (a topic the principal may not write, or no producer id because it may
   * write no topic) says `context.reason: 'authorization'`: a consumer's retry or dead-letter
   * write so refused holds its partition until the ACL is back instead of stopping it.
   */
  'KAFKIT_AUTH',
  /** The broker or the client engine failed; `cause` holds the engine error. */
  'KAFKIT_KAFKA',
  /** A transactional producer was fenced by a newer instance with the same id. */
  'KAFKIT_PRODUCER_FENCED',
  /** A message handler failed. */
  'KAFKIT_HANDLER',
  /** The operation was aborted (shutdown, revocation). */
  'KAFKIT_ABORTED',
] as const

/** A stable error code. */
export type KafkitErrorCode = (typeof KafkitErrorCodes)[number]

/** Where an error happened, as far as it is known. */
export interface KafkitErrorContext {
  topic?: string
  partition?: number
  offset?: string
  groupId?: string
  /** What was being (de)serialized. */
  field?: 'key' | 'value' | 'headers'
  [key: string]: unknown
}

/** One validation problem, with the path inside the key/value/headers. */
export interface KafkitIssue {
  path: (string | number)[]
  message: string
  code?: string
}

const kKafkitError = Symbol.for('kafkit.error')

/**
 * The one error type kafkit throws. Recognise it with {@link isKafkitError} (works across
 * duplicate copies of the package), branch on `code`, and retry only when `retriable`.
 */
export class KafkitError extends Error {
  /** Stable code, see {@link KafkitErrorCodes}. */
  readonly code: KafkitErrorCode
  /** Whether trying the same operation again may succeed. Serde, validation and config errors never are. */
  readonly retriable: boolean
  /** Topic, partition, offset… where known. */
  readonly context: KafkitErrorContext
  /** Validation issues, each with its path. */
  readonly issues: KafkitIssue[]
  readonly [kKafkitError] = true

  constructor(
    code: KafkitErrorCode,
    message: string,
    options: { cause?: unknown; retriable?: boolean; context?: KafkitErrorContext; issues?: KafkitIssue[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'KafkitError'
    this.code = code
    this.retriable = options.retriable ?? false
    this.context = options.context ?? {}
    this.issues = options.issues ?? []
  }
}

/** True for a {@link KafkitError} from any copy of `@kafkit/core`. */
export function isKafkitError(error: unknown): error is KafkitError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[kKafkitError] === true
}
