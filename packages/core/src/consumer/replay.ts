import { isKafkitError, KafkitError, type KafkitErrorCode } from '../errors.js'
import type { TopicScanOptions, TopicScanStart, TransportTransactionalOptions, TransportTransactionalProducer, WireMessage, WireTopicMessages } from '../internal/transport/index.js'
import { createDefaultPartitioner } from '../partitioner.js'
import type { TopicEnsurer } from '../runtime/engine.js'
import { type ConsumerEvents, EventHub } from '../runtime/events.js'
import { type DeadLetterInfo, diagnosticHeaderNames, KafkitHeaders, parseDeadLetterHeaders } from '../runtime/headers.js'
import { sleep } from '../runtime/heartbeat.js'
import { classifyTransactionError, TransactionRunner } from '../transaction.js'
import type { TransactionEvents } from '../transaction-events.js'
import { fingerprint, type LedgerValue, parseLedgerValue, ReplayLedger } from './ledger.js'
import { bounded } from '../internal/bounded.js'
import { type OutgoingRecord, type RawHeaders, type RawRecord, toWireMessage } from '../runtime/records.js'

/** Which dead letters an operation looks at. Every given filter must match. */
export interface DeadLetterFilter {
  /** Only these error codes (`KAFKIT_SERDE_DECODE`…). */
  errorCodes?: string[]
  /** Failed at or after this time. */
  since?: Date | number
  /** Failed before this time. */
  until?: Date | number
  /** Only this DLQ partition (the others are not read at all). */
  partition?: number
}

/** One dead letter as an operator sees it. */
export interface DeadLetterEntry {
  partition: number
  offset: string
  /** When the dead letter was written (epoch ms). */
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  /** The record's own headers, diagnostics removed. */
  headers: RawHeaders
  info: DeadLetterInfo
  /** Whether an earlier replay already sent it back: the ledger lists its position with this record's fingerprint. */
  replayed: boolean
}

/** How far a replay is, as {@link ReplayOptions.onProgress} gets it. */
export interface ReplayProgress {
  dlqTopic: string
  /** Dead letters read so far (replayed, skipped or filtered out). */
  done: number
  /**
   * Dead letters the replay reads in all: the offsets between the start and the end the
   * topic had when the replay began (an upper bound: compaction and transaction markers leave gaps).
   */
  total: number
  /** `total - done`, at least 0. */
  remaining: number
  /** Records sent back so far (their transaction committed); in a dry run, those that would be. */
  replayed: number
  /** Skipped so far: filtered out, already replayed or without a source topic. */
  skipped: number
  /** Dead letters read per second, over the whole replay so far. */
  ratePerSecond: number
  /** Time left at that rate, or `undefined` before there is a rate. */
  etaMs: number | undefined
  elapsedMs: number
  /** True on the last report, once the replay finished. */
  finished: boolean
}

/** Options of {@link DeadLetterTopic.replay}. */
export interface ReplayOptions extends DeadLetterFilter {
  /** Where to send: a topic, or by default each record's original topic. */
  to?: string
  /** Report what would be replayed, write nothing. @default false */
  dryRun?: boolean
  /** At most this many records per second; 0 for no limit. @default 0 */
  ratePerSecond?: number
  /** Replay again records an earlier replay already sent. @default false */
  force?: boolean
  /**
   * Who handles a replayed record. `original-group`: only the consumer group that failed
   * it (the record carries `kafkit-replay-group`; kafkit consumers of other groups skip
   * it, so e.g. analytics does not count a replayed purchase twice). `all-groups`: every
   * consumer of the target topic. @default 'original-group'
   */
  audience?: 'original-group' | 'all-groups'
  /**
   * Keep every replayed record's position in `report.replayed`. That list grows with the
   * replay; set `false` for a large dead-letter topic (the report then only counts, in
   * `replayedCount`) and follow the records through the `replay.record` event instead.
   * @default true
   */
  collect?: boolean
  /** Called with the progress every `progressIntervalMs` while the replay runs, and once at the end (`finished: true`). */
  onProgress?: (progress: ReplayProgress) => void
  /** How often `onProgress` is called. @default 1_000 */
  progressIntervalMs?: number
  /**
   * Fail when the replay got no further for this long: a read of the dead-letter topic or
   * of its ledger, as for {@link DeadLetterTopic.stream} (time spent sending does not count
   * there), and a send not acknowledged within it (the delivery timeout of the records it
   * sends, at most the replay's transaction timeout, 60 s).
   * @default 120_000
   */
  timeoutMs?: number
}

/** What a replay did. */
export interface ReplayReport {
  dryRun: boolean
  /** Each replayed record, in order, unless `collect: false` was given (then empty). */
  replayed: { partition: number; offset: string; target: string }[]
  /** How many records were replayed (also with `collect: false`). */
  replayedCount: number
  /** Dead letters read. */
  scanned: number
  skipped: { filtered: number; alreadyReplayed: number; noTarget: number }
}

/** Options of {@link DeadLetterTopic.stream} and {@link DeadLetterTopic.list}. */
export interface DeadLetterReadOptions {
  /**
   * Fail (retriable `KAFKIT_KAFKA`) when the read got no further for this long: a broker
   * unreachable, or one that takes connections and never answers, also before the first
   * record (the lookup of the topic and its ledger is bounded by it too).
   * @default 120_000
   */
  timeoutMs?: number
}

/**
 * What the dead-letter tools need: a streaming read of a topic to its current end (of
 * committed records), a transactional producer for replays, and topic creation for the ledger.
 * @internal
 */
export interface DeadLetterToolDeps {
  stream(topic: string, options?: TopicScanOptions): AsyncIterable<RawRecord>
  /** A transactional producer, not yet registered: a replay calls `init()`, runs its transactions and disconnects it. */
  transactional(options: TransportTransactionalOptions): TransportTransactionalProducer
  topics: TopicEnsurer
  release?: () => Promise<void>
}

/**
 * The ledger of replayed dead letters: a compacted topic `<dlq>.replayed`, one record per
 * replayed dead letter, keyed `<partition>:<offset>`, its value the target, the time and
 * the replayed record's fingerprint (its timestamp and a hash of its key, value and
 * headers). A replay reads it first and skips the dead letters it lists with their own
 * fingerprint, so running the same replay twice sends nothing the second time, a record
 * that an earlier filter left out stays replayable, and so does a new record at an offset
 * of a dead-letter topic deleted and created again (the old ledger does not hide it). A
 * batch's ledger entries are written in the same transaction as its records (see
 * {@link replayTransactionalIdOf}), so the ledger lists exactly the records a
 * `read_committed` reader finds in the target: a failed batch is in neither, a crash
 * leaves nothing half-noted.
 */
export function ledgerTopicOf(dlqTopic: string): string {
  return `${dlqTopic}.replayed`
}

/**
 * The transactional id of every replay of `dlqTopic`: `kafkit-replay-<dlqTopic>`. A replay
 * registers it before it reads the ledger, which fences an earlier replay of the same
 * dead-letter topic still running (it stops with `KAFKIT_PRODUCER_FENCED`) and settles its
 * open transaction, so two replays never send a dead letter twice. The principal that
 * replays needs the `TransactionalId` ACLs `Write` and `Describe` on it.
 */
export function replayTransactionalIdOf(dlqTopic: string): string {
  return `kafkit-replay-${dlqTopic}`
}

/** Dead letters per transaction of a replay: what a replay holds in memory, besides the scan's buffer. */
const CHUNK_RECORDS = 500
/** A rate-limited replay commits what it holds once its oldest record waited this long, so its progress shows. */
const CHUNK_LINGER_MS = 500
/**
 * How long the broker lets a replay's transaction stay open: a crashed replay's open
 * transaction is aborted by the next replay's registration, or by the broker after this.
 */
const REPLAY_TRANSACTION_TIMEOUT_MS = 60_000
/** A read's default `timeoutMs` (see {@link DeadLetterReadOptions.timeoutMs}). */
const READ_TIMEOUT_MS = 120_000

/** How long one produce request of a replay may go unanswered (at most its `timeoutMs`). */
const REQUEST_TIMEOUT_MS = 30_000

const time = (t: Date | number | undefined) => (t === undefined ? undefined : typeof t === 'number' ? t : t.getTime())

function matches(entry: DeadLetterEntry, filter: DeadLetterFilter): boolean {
  if (filter.partition !== undefined && entry.partition !== filter.partition) return false
  if (filter.errorCodes?.length && !filter.errorCodes.includes(entry.info.errorCode ?? '')) return false
  const at = entry.info.failedAt ?? entry.timestamp
  const since = time(filter.since)
  const until = time(filter.until)
  if (since !== undefined && at < since) return false
  if (until !== undefined && at >= until) return false
  return true
}

/** A dead letter as read, with its record's fingerprint (computed once, when needed). */
interface Read {
  entry: DeadLetterEntry
  fingerprint: () => string
}

function toRead(record: RawRecord, ledger: ReplayLedger): Read {
  let fp: string | undefined
  const fingerprintOf = () => (fp ??= fingerprint(record))
  return { entry: toEntry(record, ledger, fingerprintOf), fingerprint: fingerprintOf }
}

function toEntry(record: RawRecord, ledger: ReplayLedger, fp: () => string): DeadLetterEntry {
  const headers: RawHeaders = {}
  for (const [name, value] of Object.entries(record.headers)) if (!diagnosticHeaderNames.has(name)) headers[name] = value
  return {
    partition: record.partition,
    offset: record.offset,
    timestamp: Number(record.timestamp),
    key: record.key,
    value: record.value,
    headers,
    info: parseDeadLetterHeaders(record.headers),
    replayed: ledger.replayed(record.partition, record.offset, fp),
  }
}

/** Where a replayed dead letter came from (its DLQ partition and offset) and where it went. */
type ReplayRef = ReplayReport['replayed'][number]

/** One dead letter on its way back: the record to send and its ledger entry. */
interface Outgoing {
  ref: ReplayRef
  record: OutgoingRecord
  ledger: OutgoingRecord
}

/**
 * A batch whose transaction did not commit: `not-written` (aborted, or not sent at all
 * because a target is missing) or `unknown` (the commit got no answer: the batch is in the
 * target and the ledger both, or in neither).
 */
interface FailedBatch {
  refs: ReplayRef[]
  outcome: 'not-written' | 'unknown'
  error: unknown
}

const position = (dlqTopic: string, ref: ReplayRef) => `${dlqTopic}[${ref.partition}]@${ref.offset} -> ${ref.target}`
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/**
 * The error of a replay whose batch failed. It names where: the batch's first dead letter
 * as `context.topic`/`partition`/`offset` (the dead-letter topic's position), its
 * `target`, and every one of the batch in `context.failed`; its code and cause are those of
 * the failure.
 */
function replayError(dlqTopic: string, ledgerTopic: string, batch: FailedBatch): KafkitError {
  const { refs, outcome, error: cause } = batch
  const first = refs[0]!
  const code: KafkitErrorCode = isKafkitError(cause) ? cause.code : 'KAFKIT_KAFKA'
  // A commit without an answer is settled by the next replay's registration, and its ledger read tells: running it again is safe.
  const retriable = outcome === 'unknown' || (isKafkitError(cause) ? cause.retriable : true)
  const shown = refs.slice(0, 5).map((ref) => position(dlqTopic, ref)).join(', ')
  const more = refs.length > 5 ? ` and ${refs.length - 5} more` : ''
  const verdict =
    outcome === 'unknown'
      ? `the commit of their transaction got no answer: the target and the ledger ${ledgerTopic} hold all of them or none, and a later replay, once it settled the transaction, sends them only if none`
      : `their transaction was aborted as a whole: neither the target (for read_committed readers) nor the ledger ${ledgerTopic} holds any of them, and a later replay sends them`
  const targets = [...new Set(refs.map((r) => r.target))]
  return new KafkitError(code, `replay of ${dlqTopic} to ${targets.join(', ')} failed: ${plural(refs.length, 'dead letter')} not replayed: ${shown}${more} (${messageOf(cause)}); ${verdict}`, {
    cause,
    retriable,
    context: {
      topic: dlqTopic,
      partition: first.partition,
      offset: first.offset,
      dlqTopic,
      target: first.target,
      ...(targets.length > 1 ? { targets } : {}),
      ...(isKafkitError(cause) && cause.context.kafkaError !== undefined ? { kafkaError: cause.context.kafkaError } : {}),
      failed: refs.map(({ partition, offset, target }) => ({ partition, offset, target, outcome })),
      ledgerTopic,
    },
  })
}

/**
 * The transaction a fenced replay had open: how many dead letters it carried, and whether
 * the fencing met its commit (every send acknowledged, the commit then failed: the
 * coordinator may have taken it before the fencing).
 */
interface FencedBatch {
  count: number
  committing: boolean
}

/**
 * The error of a replay fenced by another replay of the same dead-letter topic. What became
 * of its open transaction is said as far as it is known: aborted when the fencing met it
 * before its commit (the registration that fenced it aborts it), unknown when the fencing
 * met the commit itself (a commit the coordinator took before the fencing stands).
 */
function takenOverError(dlqTopic: string, transactionalId: string, committed: number, cause: unknown, open?: FencedBatch): KafkitError {
  const ledgerTopic = ledgerTopicOf(dlqTopic)
  const fate =
    open === undefined
      ? ''
      : open.committing
        ? `; the commit of its last ${plural(open.count, 'dead letter')} met the fencing without an answer that settles it: that transaction may have committed or not (the ledger ${ledgerTopic} says which, and a later replay sends them only if it did not)`
        : `; the transaction of its last ${plural(open.count, 'dead letter')}, never committed, was aborted (by the registration that fenced it, or by the broker at its timeout): a later replay sends them`
  return new KafkitError(
    'KAFKIT_PRODUCER_FENCED',
    `replay of ${dlqTopic} stopped: fenced on the replays' transactional id '${transactionalId}', by another replay of ${dlqTopic} that took over (or by the broker, when one transaction outlasted the transaction timeout: replay again). ` +
      `This one committed ${plural(committed, 'dead letter')} to the target and the ledger ${ledgerTopic}, which the other skips${fate}; it sends nothing more`,
    { cause, retriable: false, context: { topic: dlqTopic, dlqTopic, transactionalId, fenced: true, replayedCount: committed } },
  )
}

/** A batch as the records of one transaction: the target records, per topic in read order, then the ledger entries. */
function wireOf(batch: Outgoing[], ledgerTopic: string): WireTopicMessages[] {
  const byTopic = new Map<string, WireMessage[]>()
  for (const o of batch) {
    const list = byTopic.get(o.record.topic) ?? []
    list.push(toWireMessage(o.record))
    byTopic.set(o.record.topic, list)
  }
  return [...[...byTopic].map(([topic, messages]) => ({ topic, messages })), { topic: ledgerTopic, messages: batch.map((o) => toWireMessage(o.ledger)) }]
}

/** The replay's transactions only carry records already in wire form. */
const noTypedSends = (): never => {
  throw new KafkitError('KAFKIT_CONFIG', 'a replay transaction sends raw records only')
}

/**
 * Operator tools for one dead-letter topic: list, stream, inspect, replay. Made by
 * `kafka.deadLetters('<topic>.dlq')`; the `kafkit dlq` commands use it. Reads stream the
 * topic with bounded buffering, so their memory does not grow with the topic's size
 * (except `list()`, which returns an array, and a replay's `report.replayed` unless
 * `collect: false`).
 */
export class DeadLetterTopic {
  readonly #events = new EventHub()
  readonly #deps: DeadLetterToolDeps
  /** The dead-letter topic. */
  readonly topic: string

  /** @internal Use `kafka.deadLetters(topic)`. */
  constructor(topic: string, deps: DeadLetterToolDeps) {
    this.topic = topic
    this.#deps = deps
  }

  /** Subscribes to `replay.*` events; returns the unsubscribe function. */
  on<K extends 'replay.record' | 'replay.skipped' | 'replay.done'>(name: K, listener: (payload: ConsumerEvents[K]) => void): () => void {
    return this.#events.on(name, listener)
  }

  /**
   * A topic's partitions and replication factor, or undefined when it does not exist. Bounded
   * as a read is: a cluster that takes the connection and never answers (a broker paused)
   * fails the lookup with a retriable `KAFKIT_KAFKA` after `timeoutMs`, not after the engine's
   * request timeout and a "not connected" that says nothing of the cause.
   */
  #lookUp(topic: string, timeoutMs = READ_TIMEOUT_MS): Promise<{ partitions: number; replicationFactor: number } | undefined> {
    return bounded(this.#deps.topics.describe(topic), timeoutMs, `look up ${topic}`, { topic })
  }

  /** The replayed dead letters, by position, with 32 bits of each one's fingerprint (4 bytes per entry of a contiguous run). */
  async #ledger(timeoutMs?: number): Promise<ReplayLedger> {
    const replayed = new ReplayLedger()
    if ((await this.#lookUp(ledgerTopicOf(this.topic), timeoutMs)) === undefined) return replayed
    for await (const record of this.#deps.stream(ledgerTopicOf(this.topic), timeoutMs === undefined ? {} : { timeoutMs })) {
      if (record.key === null) continue
      const [partition, offset] = record.key.toString().split(':')
      if (partition === undefined || offset === undefined || !/^\d+$/.test(partition) || !/^\d+$/.test(offset)) continue
      // A null value is a tombstone: the entry was deleted to allow a new replay.
      if (record.value === null) replayed.delete(Number(partition), offset)
      else replayed.add(Number(partition), offset, parseLedgerValue(record.value)?.fp)
    }
    return replayed
  }

  /** Every dead letter of the scanned partitions, in partition order, with its ledger flag; `exists` when the caller looked the topic up already. */
  async *#entries(partition: number | undefined, scan: TopicScanOptions, exists = false): AsyncGenerator<Read> {
    if (!exists && (await this.#lookUp(this.topic, scan.timeoutMs)) === undefined) {
      scan.onStart?.({ total: 0, partitions: [] })
      return
    }
    const ledger = await this.#ledger(scan.timeoutMs)
    const options: TopicScanOptions = partition === undefined ? scan : { ...scan, partitions: [partition] }
    for await (const record of this.#deps.stream(this.topic, options)) yield toRead(record, ledger)
  }

  /**
   * Dead letters matching `filter`, oldest first per partition, as they are read: memory
   * stays bounded however large the topic is, and breaking out of the loop stops the read.
   *
   * @example
   * ```ts
   * for await (const entry of kafka.deadLetters('orders.dlq').stream({ errorCodes: ['KAFKIT_HANDLER'] })) {
   *   console.log(entry.partition, entry.offset, entry.info.errorMessage)
   * }
   * ```
   */
  async *stream(filter: DeadLetterFilter = {}, options: DeadLetterReadOptions = {}): AsyncGenerator<DeadLetterEntry, void, undefined> {
    for await (const { entry } of this.#entries(filter.partition, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })) {
      if (matches(entry, filter)) yield entry
    }
  }

  /**
   * Dead letters matching `filter`, oldest first per partition, as one array. For a large
   * dead-letter topic use {@link DeadLetterTopic.stream}, which does not hold them all.
   */
  async list(filter: DeadLetterFilter = {}, options: DeadLetterReadOptions = {}): Promise<DeadLetterEntry[]> {
    const entries: DeadLetterEntry[] = []
    for await (const entry of this.stream(filter, options)) entries.push(entry)
    return entries
  }

  /** One dead letter by position, or `undefined`. Reads from that offset on only. */
  async inspect(partition: number, offset: string, options: DeadLetterReadOptions = {}): Promise<DeadLetterEntry | undefined> {
    const scan: TopicScanOptions = { from: new Map([[partition, offset]]), ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) }
    for await (const { entry } of this.#entries(partition, scan)) {
      // The first record at or after the offset: a gap (compaction, an aborted write) means none there.
      return entry.offset === offset ? entry : undefined
    }
    return undefined
  }

  /**
   * Sends matching dead letters back to their original topic (or `to`), with their key,
   * value bytes and own headers, plus `kafkit-replay-of: <dlq>/<partition>/<offset>`.
   * Records an earlier replay sent are skipped (see {@link ledgerTopicOf}). Streams the
   * topic: at most a few thousand records are in memory at once. Writes in transactions of
   * up to {@link CHUNK_RECORDS} records, one after the other, in order per partition, each
   * with its ledger entries: a batch is in the target (for `read_committed` readers) and the
   * ledger both, or in neither. Registers the transactional id
   * {@link replayTransactionalIdOf} before it reads the ledger, so a replay of the same
   * dead-letter topic running meanwhile is fenced, and this one skips what it committed.
   * @throws KafkitError when a batch's transaction failed (its records or its commit): the
   * whole batch is not replayed; the error names it (`context.topic`, `partition`, `offset`
   * of its first dead letter, its `target`, all of them in `context.failed`), the batches
   * before it are in the target and the ledger, and running the replay again sends the rest.
   * @throws KafkitError `KAFKIT_PRODUCER_FENCED` (not retriable, `context.topic` the
   * dead-letter topic, `context.transactionalId` the replays' id, the engine's error as
   * `cause`) when another replay of the same dead-letter topic took over, whichever of the
   * replay's calls met the fencing first (also a commit whose request or answer was lost).
   * @throws KafkitError `KAFKIT_CONFIG` (not retriable, `context.topic` the name) when the
   * dead-letter topic does not exist, before anything is written (no ledger topic is created).
   */
  async replay(options: ReplayOptions = {}): Promise<ReplayReport> {
    const dryRun = options.dryRun ?? false
    const collect = options.collect ?? true
    const ledgerTopic = ledgerTopicOf(this.topic)
    const timeoutMs = options.timeoutMs ?? READ_TIMEOUT_MS
    // Looked up first: a misspelt name must not pass for an empty dead-letter topic, nor leave a ledger topic behind.
    const dlq = await this.#lookUp(this.topic, timeoutMs)
    if (dlq === undefined) {
      // An input error (a misspelt name, or the wrong cluster), as an option naming nothing: `kafkit dlq replay` exits 2.
      throw new KafkitError('KAFKIT_CONFIG', `replay of ${this.topic}: the dead-letter topic '${this.topic}' does not exist; nothing was replayed and no ledger created`, {
        retriable: false,
        context: { topic: this.topic, dlqTopic: this.topic },
      })
    }
    let runner: TransactionRunner | undefined
    if (!dryRun) {
      await bounded(
        this.#deps.topics.ensureTopics([{ name: ledgerTopic, partitions: 1, replicationFactor: dlq.replicationFactor, config: { 'cleanup.policy': 'compact' } }]),
        timeoutMs,
        `replay of ${this.topic}: create the ledger topic ${ledgerTopic}`,
        { topic: this.topic, dlqTopic: this.topic },
      )
      // Registered before the ledger is read: a replay of this topic still running is fenced
      // and its open transaction settled first, so the ledger read below lists everything it
      // committed, and it commits nothing after.
      runner = await this.#register(timeoutMs)
    }
    try {
      return await this.#replay(options, dryRun, collect, ledgerTopic, runner)
    } finally {
      await runner?.close().catch(() => {})
    }
  }

  /** A transactional producer with the replays' id, registered. */
  async #register(timeoutMs: number): Promise<TransactionRunner> {
    const transactionalId = replayTransactionalIdOf(this.topic)
    const producer = this.#deps.transactional({
      transactionalId,
      transactionTimeoutMs: REPLAY_TRANSACTION_TIMEOUT_MS,
      // The transport caps it at the transaction timeout.
      deliveryTimeoutMs: timeoutMs,
      allowAutoTopicCreation: false,
      partitioner: createDefaultPartitioner(),
    })
    const requestTimeoutMs = Math.min(REQUEST_TIMEOUT_MS, timeoutMs)
    const runner = new TransactionRunner(producer, noTypedSends, { compression: 'none', timeoutMs: requestTimeoutMs }, new EventHub<TransactionEvents>())
    try {
      await bounded(runner.init(), timeoutMs, `replay of ${this.topic}: register the replays' transactional id '${transactionalId}'`, { topic: this.topic, dlqTopic: this.topic, transactionalId })
      return runner
    } catch (error) {
      await runner.close().catch(() => {})
      if (classifyTransactionError(error) === 'fenced') throw takenOverError(this.topic, transactionalId, 0, error)
      const engine = isKafkitError(error) ? error : undefined
      throw new KafkitError(engine?.code ?? 'KAFKIT_KAFKA', `replay of ${this.topic}: could not register the replays' transactional id '${transactionalId}' (it needs the TransactionalId ACLs Write and Describe); nothing was replayed: ${messageOf(error)}`, {
        cause: error,
        retriable: engine?.retriable ?? true,
        context: { ...engine?.context, topic: this.topic, dlqTopic: this.topic, transactionalId },
      })
    }
  }

  async #replay(options: ReplayOptions, dryRun: boolean, collect: boolean, ledgerTopic: string, runner: TransactionRunner | undefined): Promise<ReplayReport> {
    const report: ReplayReport = { dryRun, replayed: [], replayedCount: 0, scanned: 0, skipped: { filtered: 0, alreadyReplayed: 0, noTarget: 0 } }
    const intervalMs = options.ratePerSecond && options.ratePerSecond > 0 ? 1_000 / options.ratePerSecond : 0
    let nextAt = 0
    const startedAt = Date.now()
    let total = 0
    const progress = (finished: boolean): ReplayProgress => {
      const elapsedMs = Date.now() - startedAt
      const ratePerSecond = elapsedMs > 0 ? (report.scanned * 1_000) / elapsedMs : 0
      const remaining = finished ? 0 : Math.max(0, total - report.scanned)
      const skipped = report.skipped.filtered + report.skipped.alreadyReplayed + report.skipped.noTarget
      return { dlqTopic: this.topic, done: report.scanned, total: finished ? report.scanned : Math.max(total, report.scanned), remaining, replayed: report.replayedCount, skipped, ratePerSecond, etaMs: ratePerSecond > 0 ? Math.round((remaining * 1_000) / ratePerSecond) : undefined, elapsedMs, finished }
    }
    const every = options.progressIntervalMs ?? 1_000
    let reportAt = startedAt + every

    const replayed = (ref: ReplayRef) => {
      report.replayedCount++
      if (collect) report.replayed.push(ref)
      this.#events.emit('replay.record', { dlqTopic: this.topic, partition: ref.partition, offset: ref.offset, target: ref.target, dryRun })
    }
    // The first batch that failed, or the fencing: either stops the replay.
    let failedBatch: FailedBatch | undefined
    let fenced: { error: unknown; batch: FencedBatch } | undefined
    const failed = () => failedBatch !== undefined || fenced !== undefined
    let chunk: Outgoing[] = []
    let chunkSince = 0
    // Targets known to exist, looked up once: to a missing topic, a transaction would retry
    // its metadata until its delivery timeout before failing.
    const targets = new Map<string, Promise<unknown>>()
    const absent = (target: string): Promise<unknown> => {
      let check = targets.get(target)
      if (check === undefined) {
        check = this.#deps.topics.describe(target).then(
          (found) => (found === undefined ? new KafkitError('KAFKIT_KAFKA', `the target topic '${target}' does not exist: create it, or replay with \`to\``, { context: { topic: target, outcome: 'not-written' } }) : undefined),
          (error: unknown) => error,
        )
        targets.set(target, check)
      }
      return check
    }
    // One transaction per batch, one after the other (a transactional producer has one open
    // at a time): the batch's records and its ledger entries, committed together. The scan
    // reads ahead meanwhile.
    const flush = async () => {
      if (chunk.length === 0 || runner === undefined || failed()) return
      const sending = chunk
      chunk = []
      const refs = sending.map((o) => o.ref)
      for (const target of new Set(refs.map((ref) => ref.target))) {
        const problem = await absent(target)
        if (problem !== undefined) {
          // Looked up again next time: a lookup that failed may succeed later.
          targets.delete(target)
          failedBatch = { refs, outcome: 'not-written', error: problem }
          return
        }
      }
      // Whether every send of the batch was acknowledged: a failure after that is the commit's.
      let sent = false
      try {
        // Not retried here: a failure stops the replay, and running it again is exact.
        await runner.run(
          async (tx) => {
            await tx.sendWire(wireOf(sending, ledgerTopic))
            sent = true
          },
          { retry: false },
        )
      } catch (error) {
        if (classifyTransactionError(error) === 'fenced') fenced = { error, batch: { count: refs.length, committing: sent } }
        else failedBatch = { refs, outcome: isKafkitError(error) && error.context.outcome === 'unknown' ? 'unknown' : 'not-written', error }
        return
      }
      refs.forEach(replayed)
    }

    const entries = this.#entries(options.partition, {
      onStart: (start: TopicScanStart) => void (total = start.total),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    }, true)
    let readFailure: { error: unknown } | undefined
    try {
      for await (const { entry, fingerprint: fingerprintOf } of entries) {
        // A failed batch or the fencing stops the replay: nothing more is sent.
        if (failed()) break
        report.scanned++
        if (options.onProgress !== undefined && Date.now() >= reportAt) {
          reportAt = Date.now() + every
          options.onProgress(progress(false))
        }
        if (!matches(entry, options)) {
          report.skipped.filtered++
          this.#events.emit('replay.skipped', { dlqTopic: this.topic, partition: entry.partition, offset: entry.offset, reason: 'filtered' })
          continue
        }
        if (entry.replayed && !options.force) {
          report.skipped.alreadyReplayed++
          this.#events.emit('replay.skipped', { dlqTopic: this.topic, partition: entry.partition, offset: entry.offset, reason: 'already-replayed' })
          continue
        }
        const target = options.to ?? entry.info.originalTopic
        if (!target) {
          report.skipped.noTarget++
          continue
        }
        const ref = { partition: entry.partition, offset: entry.offset, target }
        if (dryRun) {
          replayed(ref)
          continue
        }
        if (intervalMs > 0) {
          const now = Date.now()
          if (nextAt > now) {
            // Ahead of the rate: commit what waited long enough (no transaction stays open while the replay waits), then wait.
            if (chunk.length > 0 && now - chunkSince >= CHUNK_LINGER_MS) await flush()
            await sleep(nextAt - now)
          }
          nextAt = Math.max(nextAt, Date.now()) + intervalMs
        }
        const headers: RawHeaders = { ...entry.headers, [KafkitHeaders.replayOf]: `${this.topic}/${entry.partition}/${entry.offset}` }
        delete headers[KafkitHeaders.replayGroup]
        if ((options.audience ?? 'original-group') === 'original-group' && entry.info.groupId) headers[KafkitHeaders.replayGroup] = entry.info.groupId
        if (chunk.length === 0) chunkSince = Date.now()
        chunk.push({
          ref,
          record: { topic: target, key: entry.key, value: entry.value, headers },
          ledger: { topic: ledgerTopic, key: Buffer.from(`${entry.partition}:${entry.offset}`), value: Buffer.from(JSON.stringify({ target, at: Date.now(), fp: fingerprintOf() } satisfies LedgerValue)), headers: {}, partition: 0 },
        })
        if (chunk.length >= CHUNK_RECORDS) await flush()
      }
      if (!failed()) await flush()
    } catch (error) {
      readFailure = { error }
    }
    if (fenced !== undefined) throw takenOverError(this.topic, replayTransactionalIdOf(this.topic), report.replayedCount, fenced.error, fenced.batch)
    // A failed batch names the dead letters it concerns; it outranks a read that failed after it.
    if (failedBatch !== undefined) throw replayError(this.topic, ledgerTopic, failedBatch)
    if (readFailure !== undefined) throw readFailure.error
    options.onProgress?.(progress(true))
    this.#events.emit('replay.done', { dlqTopic: this.topic, replayed: report.replayedCount, skipped: report.skipped.filtered + report.skipped.alreadyReplayed + report.skipped.noTarget, dryRun })
    return report
  }

  /** Releases the connections this tool opened. */
  async disconnect(): Promise<void> {
    await this.#deps.release?.()
  }
}
