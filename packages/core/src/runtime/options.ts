import { KafkitError, type KafkitIssue } from '../errors.js'
import { type BackoffOptions, defaultBackoff } from './backoff.js'
import { type Duration, toMs } from './duration.js'
import type { HeaderMode } from './headers.js'

/** Retry in place: the same message again, after a jittered exponential backoff. */
export interface RetryOptions {
  /** Retries after the first try (0: none). @default 3 */
  attempts?: number
  backoff?: Partial<BackoffOptions>
  /**
   * Decides whether an error is worth retrying; overrides the error's own verdict. It sees
   * handler errors and the decode errors that are not about the bytes and not retriable (a
   * writer schema the reader cannot resolve, a registry that rejects the request:
   * `KAFKIT_SCHEMA_INCOMPATIBLE`, a non-retriable `KAFKIT_REGISTRY`); a retried decode
   * decodes again, and once the attempts run out the record is parked like any other. A
   * retriable decode error (a registry that is down, or that refuses the credentials with
   * 401/403) never reaches it: the partition is held and the decode tried again until it works. Poison (bytes that can never decode:
   * `KAFKIT_SERDE_DECODE`, `KAFKIT_SERDE_MAGIC_BYTE`, `KAFKIT_SERDE_UNKNOWN_SCHEMA`,
   * `KAFKIT_VALIDATION`) is never retried, whatever this says.
   */
  retryIf?: (error: unknown) => boolean
}

/** Non-blocking retry topics: one per delay and consumer group, named `<topic>.<groupId>.retry.<delay>`. */
export interface RetryTopicsOptions {
  /** Delays, one topic each, tried in order. */
  delays: Duration[]
  /**
   * Names a retry topic. A retry topic belongs to one consumer group (it holds that
   * group's failures): keep `groupId` in the name, or groups that share a source topic
   * share the topic too (each then skips the other's records, but still reads them).
   * @default (topic, label, groupId) => `${topic}.${groupId}.retry.${label}`
   */
  topicName?: (sourceTopic: string, delayLabel: string, groupId: string) => string
}

/** Dead-letter topic: where a message goes when nothing else helped. */
export interface DeadLetterOptions {
  /** The topic, or how to name it from the source topic. @default `${topic}.dlq` */
  topic?: string | ((sourceTopic: string) => string)
  /** `kafkit` headers, or Spring Kafka's `kafka_dlt-*` names and encodings. @default 'kafkit' */
  headers?: HeaderMode
  /** Characters of the stack kept in a header. @default 4000 */
  stackLimit?: number
}

/** What to do when a handler fails or a message does not decode. Composable; each part optional. */
export interface FailurePolicyOptions {
  /** In-place retries, or `false` for none. @default { attempts: 3 } */
  retry?: RetryOptions | false
  /** Delays (`['10s', '1m']`) or options; `false`/omitted: no retry topics. */
  retryTopics?: Duration[] | RetryTopicsOptions | false
  /**
   * `true`/options: park failures in a dead-letter topic; `false`: drop them after the
   * `consumer.dropped` event (the offset moves on). @default true
   */
  deadLetter?: boolean | DeadLetterOptions
}

/** Options of `consumer.handleBatch`: the failure policy, and how many messages one call gets. */
export interface BatchHandlerOptions extends FailurePolicyOptions {
  /**
   * At most this many messages per handler call. A partition batch as fetched (about a
   * megabyte: a thousand 1 KB records) is handled in calls of this size, in order, each
   * resolved before the next. Smaller calls also keep less decoded data alive at once (the
   * garbage collector copies what is alive) and fail together in smaller groups; the Java
   * consumer's `max.poll.records` is 500.
   * @default 100
   */
  maxMessages?: number
}

/** The default of {@link BatchHandlerOptions.maxMessages}. */
export const DEFAULT_BATCH_MESSAGES = 100

/** What a group member (a consumer, a pipeline) is configured with: its group, how it reads, its failure policy, its shutdown. */
export interface GroupMemberOptions extends FailurePolicyOptions {
  groupId: string
  /** Partitions handled at once; order is kept within each partition. @default 1 */
  partitionsConcurrently?: number
  /** Start from the earliest offset when the group has none. @default false */
  fromBeginning?: boolean
  /**
   * `read_committed` skips records of aborted and still-open transactions (free on topics
   * written without transactions); `read_uncommitted` sees everything, and is refused for
   * a contract declared `transactional: true`. See docs/transactions.md.
   * @default 'read_committed'
   */
  isolationLevel?: 'read_committed' | 'read_uncommitted'
  /** @default 30_000 */
  sessionTimeoutMs?: number
  /** @default 3_000 */
  heartbeatIntervalMs?: number
  /** @default 60_000 */
  rebalanceTimeoutMs?: number
  /**
   * Longest a fetch waits for data. Also bounds how late a retry-topic message is handled
   * after it fell due (a resumed partition joins the next fetch). @default 1_000
   */
  maxWaitTimeMs?: number
  /** Graceful shutdown on signals; `false` to manage it yourself with `stop()`. */
  shutdown?: false | { signals?: NodeJS.Signals[]; timeoutMs?: number }
}

/** Failure policy with every default applied. */
export interface ResolvedPolicy {
  retry: { attempts: number; backoff: BackoffOptions; retryIf?: (error: unknown) => boolean }
  retryTopics: { delaysMs: number[]; topicName: (sourceTopic: string, delayLabel: string, groupId: string) => string }
  deadLetter: false | { topic: (sourceTopic: string) => string; headers: HeaderMode; stackLimit: number }
}

/** Group member options with every default applied. */
export interface ResolvedMemberOptions {
  groupId: string
  partitionsConcurrently: number
  fromBeginning: boolean
  isolationLevel: 'read_committed' | 'read_uncommitted'
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  rebalanceTimeoutMs: number
  maxWaitTimeMs: number
  shutdown: false | { signals: NodeJS.Signals[]; timeoutMs: number }
  policy: ResolvedPolicy
}

// Per group, as Spring names retry topics per listener: another group's failures are not ours to retry.
const defaultTopicName = (topic: string, label: string, groupId: string) => `${topic}.${groupId}.retry.${label}`
const defaultDlqName = (topic: string) => `${topic}.dlq`

/**
 * The invalid options found so far, each naming its path; thrown together as one `KAFKIT_CONFIG`.
 * @internal
 */
export class Issues {
  readonly list: KafkitIssue[] = []
  int(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
    if (value === undefined) return
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.add(path, `must be an integer ≥ ${min}${max < Number.MAX_SAFE_INTEGER ? ` and ≤ ${max}` : ''}, got ${String(value)}`)
    }
  }
  /** A number ≥ `min`, `Infinity` included (a limit that never applies); not NaN. */
  limit(value: unknown, path: string, min: number): void {
    if (value === undefined) return
    if (typeof value !== 'number' || Number.isNaN(value) || value < min) this.add(path, `must be a number ≥ ${min} (Infinity: no limit), got ${String(value)}`)
  }
  add(path: string, message: string): void {
    this.list.push({ path: path.split('.'), message: `${path} ${message}` })
  }
  throwIfAny(what: string): void {
    if (this.list.length === 0) return
    throw new KafkitError('KAFKIT_CONFIG', `invalid ${what} options: ${this.list.map((i) => i.message).join('; ')}`, { issues: this.list })
  }
}

/**
 * Applies defaults to a failure policy and validates it. `base` holds the consumer-wide
 * policy a handler's own options override part by part.
 * @throws KafkitError `KAFKIT_CONFIG`; each issue names its path (`retry.attempts must be ≥ 0`)
 */
export function resolvePolicy(options: FailurePolicyOptions = {}, base?: ResolvedPolicy, prefix = ''): ResolvedPolicy {
  const issues = new Issues()
  const p = (path: string) => `${prefix}${path}`
  const policy = resolvePolicyInto(options, base, issues, p)
  issues.throwIfAny('policy')
  return policy
}

function resolvePolicyInto(options: FailurePolicyOptions, base: ResolvedPolicy | undefined, issues: Issues, p: (path: string) => string): ResolvedPolicy {
  let retry: ResolvedPolicy['retry'] = base?.retry ?? { attempts: 3, backoff: defaultBackoff }
  if (options.retry === false) retry = { attempts: 0, backoff: defaultBackoff }
  else if (options.retry !== undefined) {
    const r = options.retry
    issues.int(r.attempts, p('retry.attempts'), 0)
    const backoff = { ...defaultBackoff, ...r.backoff }
    issues.int(backoff.initialMs, p('retry.backoff.initialMs'), 0)
    issues.int(backoff.maxMs, p('retry.backoff.maxMs'), 0)
    if (backoff.maxMs < backoff.initialMs) issues.add(p('retry.backoff.maxMs'), `must be ≥ retry.backoff.initialMs (${backoff.initialMs})`)
    if (typeof backoff.multiplier !== 'number' || !(backoff.multiplier >= 1)) issues.add(p('retry.backoff.multiplier'), `must be ≥ 1, got ${String(backoff.multiplier)}`)
    if (!['full', 'equal', 'none'].includes(backoff.jitter)) issues.add(p('retry.backoff.jitter'), `must be 'full', 'equal' or 'none', got '${String(backoff.jitter)}'`)
    if (r.retryIf !== undefined && typeof r.retryIf !== 'function') issues.add(p('retry.retryIf'), 'must be a function')
    retry = { attempts: r.attempts ?? 3, backoff, ...(r.retryIf ? { retryIf: r.retryIf } : {}) }
  }

  let retryTopics: ResolvedPolicy['retryTopics'] = base?.retryTopics ?? { delaysMs: [], topicName: defaultTopicName }
  if (options.retryTopics === false) retryTopics = { delaysMs: [], topicName: defaultTopicName }
  else if (options.retryTopics !== undefined) {
    const rt = Array.isArray(options.retryTopics) ? { delays: options.retryTopics } : options.retryTopics
    const delaysMs: number[] = []
    if (!Array.isArray(rt.delays)) issues.add(p('retryTopics.delays'), 'must be an array of durations')
    else rt.delays.forEach((d, i) => {
      try {
        const ms = toMs(d, p(`retryTopics.delays.${i}`))
        if (ms < 1) issues.add(p(`retryTopics.delays.${i}`), 'must be at least 1ms')
        delaysMs.push(ms)
      } catch (error) {
        issues.list.push(...(error as KafkitError).issues.map((i) => ({ ...i, message: `${i.path.join('.')} ${i.message}` })))
      }
    })
    if (new Set(delaysMs).size !== delaysMs.length) issues.add(p('retryTopics.delays'), 'must not repeat a delay (each names one topic)')
    retryTopics = { delaysMs, topicName: rt.topicName ?? defaultTopicName }
  }

  let deadLetter: ResolvedPolicy['deadLetter'] = base?.deadLetter ?? { topic: defaultDlqName, headers: 'kafkit', stackLimit: 4_000 }
  if (options.deadLetter === false) deadLetter = false
  else if (options.deadLetter === true) deadLetter = base?.deadLetter || { topic: defaultDlqName, headers: 'kafkit', stackLimit: 4_000 }
  else if (options.deadLetter !== undefined) {
    const d = options.deadLetter
    if (d.headers !== undefined && d.headers !== 'kafkit' && d.headers !== 'spring') issues.add(p('deadLetter.headers'), `must be 'kafkit' or 'spring', got '${String(d.headers)}'`)
    issues.int(d.stackLimit, p('deadLetter.stackLimit'), 0)
    if (typeof d.topic === 'string' && d.topic.length === 0) issues.add(p('deadLetter.topic'), 'must not be empty')
    const topic = d.topic
    deadLetter = {
      topic: typeof topic === 'function' ? topic : typeof topic === 'string' ? () => topic : defaultDlqName,
      headers: d.headers ?? 'kafkit',
      stackLimit: d.stackLimit ?? 4_000,
    }
  }
  return { retry, retryTopics, deadLetter }
}

/**
 * Applies defaults to group member options and validates them all at once, at build time.
 * @param what names the owner in the error (`invalid consumer options: …`)
 * @throws KafkitError `KAFKIT_CONFIG` listing every invalid path
 */
export function resolveMemberOptions(options: GroupMemberOptions, what = 'consumer'): ResolvedMemberOptions {
  const issues = new Issues()
  if (typeof options?.groupId !== 'string' || options.groupId.length === 0) issues.add('groupId', 'must be a non-empty string')
  issues.int(options.partitionsConcurrently, 'partitionsConcurrently', 1, 1_000)
  issues.int(options.sessionTimeoutMs, 'sessionTimeoutMs', 1_000)
  issues.int(options.heartbeatIntervalMs, 'heartbeatIntervalMs', 100)
  issues.int(options.rebalanceTimeoutMs, 'rebalanceTimeoutMs', 1_000)
  issues.int(options.maxWaitTimeMs, 'maxWaitTimeMs', 0)
  if (options.isolationLevel !== undefined && options.isolationLevel !== 'read_committed' && options.isolationLevel !== 'read_uncommitted') {
    issues.add('isolationLevel', `must be 'read_committed' or 'read_uncommitted', got '${String(options.isolationLevel)}'`)
  }
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000
  if (heartbeatIntervalMs >= sessionTimeoutMs) issues.add('heartbeatIntervalMs', `must be below sessionTimeoutMs (${sessionTimeoutMs})`)
  let shutdown: ResolvedMemberOptions['shutdown'] = { signals: ['SIGTERM', 'SIGINT'], timeoutMs: 30_000 }
  if (options.shutdown === false) shutdown = false
  else if (options.shutdown !== undefined) {
    issues.int(options.shutdown.timeoutMs, 'shutdown.timeoutMs', 0)
    if (options.shutdown.signals !== undefined && !Array.isArray(options.shutdown.signals)) issues.add('shutdown.signals', 'must be an array of signal names')
    shutdown = { signals: options.shutdown.signals ?? shutdown.signals, timeoutMs: options.shutdown.timeoutMs ?? shutdown.timeoutMs }
  }
  const policy = resolvePolicyInto(options, undefined, issues, (path) => path)
  issues.throwIfAny(what)
  return {
    groupId: options.groupId,
    partitionsConcurrently: options.partitionsConcurrently ?? 1,
    fromBeginning: options.fromBeginning ?? false,
    isolationLevel: options.isolationLevel ?? 'read_committed',
    sessionTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 1_000,
    shutdown,
    policy,
  }
}
