import { hostname } from 'node:os'
import type { BackoffOptions } from '../runtime/backoff.js'
import { defaultBackoff } from '../runtime/backoff.js'
import { type DeadLetterOptions, type GroupMemberOptions, type ResolvedMemberOptions, type RetryOptions, resolveMemberOptions } from '../runtime/options.js'
import { KafkitError } from '../errors.js'
import type { CompressionName } from '../kafka-types.js'

/** Options of `kafka.pipeline(options)`. Validated when the pipeline is built. */
export interface PipelineOptions {
  /** The consumer group; its offsets move only inside the pipeline's transactions. */
  groupId: string
  /**
   * Names this pipeline *instance*. A new instance registering the same id fences the old
   * one (it stops with `KAFKIT_PRODUCER_FENCED`) and aborts its open transaction, so use
   * an id that is stable across restarts of one instance and unique among live ones: the
   * pod name of a StatefulSet, or `${groupId}-${ordinal}`. See docs/transactions.md.
   * @default `${groupId}-${os.hostname()}`
   */
  transactionalId?: string
  /** Records consumed per transaction at most (a partition batch is split). @default 500 */
  maxRecordsPerTransaction?: number
  /** How long the broker lets a transaction stay open before aborting it. @default 60_000 */
  transactionTimeoutMs?: number
  /** Compression of the output records. @default 'none' */
  compression?: CompressionName
  /** Backoff between tries after a transient transaction failure (tried until it works or the pipeline stops). */
  transactionRetry?: { backoff?: Partial<BackoffOptions> }
  /** In-place retries of a failing transform (inside the open transaction). @default { attempts: 3 } */
  retry?: RetryOptions | false
  /** Dead-letter topic of poison or failing inputs, written in the same transaction; `false` drops them. @default true */
  deadLetter?: boolean | DeadLetterOptions
  /** Start from the earliest offset when the group has none. @default false */
  fromBeginning?: boolean
  partitionsConcurrently?: number
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  rebalanceTimeoutMs?: number
  maxWaitTimeMs?: number
  /** Graceful shutdown on signals; `false` to manage it yourself with `stop()`. */
  shutdown?: GroupMemberOptions['shutdown']
}

/** Pipeline options with every default applied. */
export interface ResolvedPipelineOptions extends ResolvedMemberOptions {
  transactionalId: string
  maxRecordsPerTransaction: number
  transactionTimeoutMs: number
  compression: CompressionName
  transactionBackoff: BackoffOptions
}

const PIPELINE_ONLY = ['transactionalId', 'maxRecordsPerTransaction', 'transactionTimeoutMs', 'compression', 'transactionRetry'] as const

/**
 * @throws KafkitError `KAFKIT_CONFIG` naming every invalid path
 */
export function resolvePipelineOptions(options: PipelineOptions): ResolvedPipelineOptions {
  const consumerOptions: Record<string, unknown> = { ...options }
  for (const key of PIPELINE_ONLY) delete consumerOptions[key]
  const problems: string[] = []
  if ('retryTopics' in consumerOptions && consumerOptions.retryTopics !== false && consumerOptions.retryTopics !== undefined) {
    problems.push('retryTopics is not supported by a pipeline (a retry topic would take the input out of its transaction): use retry and deadLetter')
  }
  delete consumerOptions.retryTopics
  const t = options.transactionalId
  if (t !== undefined && (typeof t !== 'string' || t.length === 0 || t.length > 255)) problems.push('transactionalId must be a string of 1-255 characters')
  const max = options.maxRecordsPerTransaction
  if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= 100_000)) problems.push(`maxRecordsPerTransaction must be an integer ≥ 1 and ≤ 100000, got ${String(max)}`)
  const timeout = options.transactionTimeoutMs
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 1_000)) problems.push(`transactionTimeoutMs must be an integer ≥ 1000, got ${String(timeout)}`)
  const compression = options.compression ?? 'none'
  if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(compression)) problems.push(`compression must be one of none, gzip, snappy, lz4, zstd, got '${String(compression)}'`)
  let resolved: ResolvedMemberOptions | undefined
  try {
    resolved = resolveMemberOptions(consumerOptions as unknown as GroupMemberOptions, 'pipeline')
  } catch (error) {
    if (problems.length === 0) throw error
    // The member's own problems, one by one (its message already says "invalid pipeline options").
    problems.unshift(...(error as KafkitError).issues.map((issue) => issue.message))
  }
  if (problems.length > 0 || resolved === undefined) {
    throw new KafkitError('KAFKIT_CONFIG', `invalid pipeline options: ${problems.join('; ')}`, { issues: problems.map((message) => ({ path: [message.split(' ')[0] ?? ''], message })) })
  }
  return {
    ...resolved,
    transactionalId: t ?? `${resolved.groupId}-${hostname()}`,
    maxRecordsPerTransaction: max ?? 500,
    transactionTimeoutMs: timeout ?? 60_000,
    compression,
    transactionBackoff: { ...defaultBackoff, initialMs: 500, maxMs: 30_000, ...options.transactionRetry?.backoff },
  }
}
