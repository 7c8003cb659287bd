import type { TopicScanOptions, TopicScanStart } from '../internal/transport/index.js'
import type { RecordSender, TopicEnsurer } from '../runtime/engine.js'
import { type ConsumerEvents, EventHub } from '../runtime/events.js'
import { type DeadLetterInfo, diagnosticHeaderNames, KafkitHeaders, parseDeadLetterHeaders } from '../runtime/headers.js'
import { sleep } from '../runtime/heartbeat.js'
import { OffsetSet } from './offset-set.js'
import type { OutgoingRecord, RawHeaders, RawRecord } from '../runtime/records.js'

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
  /** Whether an earlier replay already sent it back. */
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
  /** Records sent back (and acknowledged) so far; in a dry run, those that would be. */
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
  /** Fail when the read got no further for this long (a broker unreachable). @default 120_000 */
  timeoutMs?: number
}

/**
 * What the dead-letter tools need: a streaming read of a topic to its current end, a
 * producer, and topic creation for the ledger.
 * @internal
 */
export interface DeadLetterToolDeps {
  stream(topic: string, options?: TopicScanOptions): AsyncIterable<RawRecord>
  sender: RecordSender
  topics: TopicEnsurer
  release?: () => Promise<void>
}

/**
 * The ledger of replayed dead letters: a compacted topic `<dlq>.replayed`, one record per
 * replayed dead letter, keyed `<partition>:<offset>`. A replay reads it first and skips
 * what it lists, so running the same replay twice sends nothing the second time, while a
 * record that an earlier filter left out stays replayable. The ledger entry is written
 * after the broker acknowledged the replayed record: a crash between the two writes can
 * replay that one record again (at-least-once), never lose it.
 */
export function ledgerTopicOf(dlqTopic: string): string {
  return `${dlqTopic}.replayed`
}

/** Records sent per request by a replay, and requests in flight at most: what a replay holds in memory. */
const CHUNK_RECORDS = 500
const CHUNKS_IN_FLIGHT = 4

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

function toEntry(record: RawRecord, ledger: OffsetSet): DeadLetterEntry {
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
    replayed: ledger.has(record.partition, record.offset),
  }
}

/** One request's worth of replayed records and their ledger entries. */
interface Chunk {
  records: OutgoingRecord[]
  ledger: OutgoingRecord[]
  refs: { partition: number; offset: string; target: string }[]
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

  /** The replayed dead letters, as ranges of offsets per partition (constant memory for a replay of a contiguous run). */
  async #ledger(timeoutMs?: number): Promise<OffsetSet> {
    const replayed = new OffsetSet()
    if ((await this.#deps.topics.describe(ledgerTopicOf(this.topic))) === undefined) return replayed
    for await (const record of this.#deps.stream(ledgerTopicOf(this.topic), timeoutMs === undefined ? {} : { timeoutMs })) {
      if (record.key === null) continue
      const [partition, offset] = record.key.toString().split(':')
      if (partition === undefined || offset === undefined || !/^\d+$/.test(partition) || !/^\d+$/.test(offset)) continue
      // A null value is a tombstone: the entry was deleted to allow a new replay.
      if (record.value === null) replayed.delete(Number(partition), offset)
      else replayed.add(Number(partition), offset)
    }
    return replayed
  }

  /** Every dead letter of the scanned partitions, in partition order, with its ledger flag. */
  async *#entries(partition: number | undefined, scan: TopicScanOptions): AsyncGenerator<DeadLetterEntry> {
    if ((await this.#deps.topics.describe(this.topic)) === undefined) {
      scan.onStart?.({ total: 0, partitions: [] })
      return
    }
    const ledger = await this.#ledger(scan.timeoutMs)
    const options: TopicScanOptions = partition === undefined ? scan : { ...scan, partitions: [partition] }
    for await (const record of this.#deps.stream(this.topic, options)) yield toEntry(record, ledger)
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
    for await (const entry of this.#entries(filter.partition, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })) {
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
    for await (const entry of this.#entries(partition, scan)) {
      // The first record at or after the offset: a gap (compaction, an aborted write) means none there.
      return entry.offset === offset ? entry : undefined
    }
    return undefined
  }

  /**
   * Sends matching dead letters back to their original topic (or `to`), with their key,
   * value bytes and own headers, plus `kafkit-replay-of: <dlq>/<partition>/<offset>`.
   * Records an earlier replay sent are skipped (see {@link ledgerTopicOf}). Streams the
   * topic: at most a few thousand records are in memory at once, sent in batches of
   * {@link CHUNK_RECORDS} with a few batches in flight, in order per partition.
   */
  async replay(options: ReplayOptions = {}): Promise<ReplayReport> {
    const dryRun = options.dryRun ?? false
    const collect = options.collect ?? true
    const ledgerTopic = ledgerTopicOf(this.topic)
    if (!dryRun) {
      const dlq = await this.#deps.topics.describe(this.topic)
      await this.#deps.topics.ensureTopics([{ name: ledgerTopic, partitions: 1, ...(dlq ? { replicationFactor: dlq.replicationFactor } : {}), config: { 'cleanup.policy': 'compact' } }])
    }
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

    const replayed = (ref: Chunk['refs'][number]) => {
      report.replayedCount++
      if (collect) report.replayed.push(ref)
      this.#events.emit('replay.record', { dlqTopic: this.topic, partition: ref.partition, offset: ref.offset, target: ref.target, dryRun })
    }
    // Batches in flight, oldest first; each settles once its records and then their ledger entries are acknowledged.
    const inFlight: Promise<void>[] = []
    let failure: { error: unknown } | undefined
    let acked: Promise<void> = Promise.resolve()
    let chunk: Chunk = { records: [], ledger: [], refs: [] }
    const flush = async () => {
      if (chunk.records.length === 0) return
      const sending = chunk
      chunk = { records: [], ledger: [], refs: [] }
      const written = this.#deps.sender.send(sending.records)
      // Replayed records are reported in order, each batch once it is acknowledged.
      acked = Promise.all([acked, written]).then(() => sending.refs.forEach(replayed))
      const done = acked.then(() => this.#deps.sender.send(sending.ledger)).catch((error: unknown) => {
        failure ??= { error }
      })
      inFlight.push(done)
      while (inFlight.length >= CHUNKS_IN_FLIGHT) await inFlight.shift()
    }

    const entries = this.#entries(options.partition, {
      onStart: (start: TopicScanStart) => void (total = start.total),
    })
    try {
      for await (const entry of entries) {
        if (failure !== undefined) break
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
            // Ahead of the rate: send what is waiting, then wait.
            await flush()
            await sleep(nextAt - now)
          }
          nextAt = Math.max(nextAt, Date.now()) + intervalMs
        }
        const headers: RawHeaders = { ...entry.headers, [KafkitHeaders.replayOf]: `${this.topic}/${entry.partition}/${entry.offset}` }
        delete headers[KafkitHeaders.replayGroup]
        if ((options.audience ?? 'original-group') === 'original-group' && entry.info.groupId) headers[KafkitHeaders.replayGroup] = entry.info.groupId
        chunk.records.push({ topic: target, key: entry.key, value: entry.value, headers })
        chunk.ledger.push({ topic: ledgerTopic, key: Buffer.from(`${entry.partition}:${entry.offset}`), value: Buffer.from(JSON.stringify({ target, at: Date.now() })), headers: {}, partition: 0 })
        chunk.refs.push(ref)
        if (chunk.records.length >= CHUNK_RECORDS) await flush()
      }
      if (failure === undefined) await flush()
    } finally {
      await Promise.all(inFlight)
    }
    if (failure !== undefined) throw failure.error
    options.onProgress?.(progress(true))
    this.#events.emit('replay.done', { dlqTopic: this.topic, replayed: report.replayedCount, skipped: report.skipped.filtered + report.skipped.alreadyReplayed + report.skipped.noTarget, dryRun })
    return report
  }

  /** Releases the connections this tool opened. */
  async disconnect(): Promise<void> {
    await this.#deps.release?.()
  }
}
