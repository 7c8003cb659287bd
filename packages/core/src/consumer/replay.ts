import { isKafkitError, KafkitError, type KafkitErrorCode } from '../errors.js'
import type { TopicScanOptions, TopicScanStart } from '../internal/transport/index.js'
import type { RecordSender, TopicEnsurer } from '../runtime/engine.js'
import { type ConsumerEvents, EventHub } from '../runtime/events.js'
import { type DeadLetterInfo, diagnosticHeaderNames, KafkitHeaders, parseDeadLetterHeaders } from '../runtime/headers.js'
import { sleep } from '../runtime/heartbeat.js'
import { fingerprint, type LedgerValue, parseLedgerValue, ReplayLedger } from './ledger.js'
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
  /**
   * Fail when the replay got no further for this long: a read of the dead-letter topic or
   * of its ledger, as for {@link DeadLetterTopic.stream} (time spent sending does not count
   * there), and a send not acknowledged within it (the delivery timeout of the records it
   * sends). @default 120_000
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
  /** A sender whose sends fail once not acknowledged within `deliveryTimeoutMs` (a replay's `timeoutMs`); without it, `sender` is used. */
  senderWithin?: (deliveryTimeoutMs: number) => RecordSender
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
 * of a dead-letter topic deleted and created again (the old ledger does not hide it). A record's entry is written
 * once the broker acknowledged that record, whatever happened to the records around it: a
 * failed replay leaves out of the ledger exactly the records the broker did not
 * acknowledge (or whose answer never came), and a crash between the two writes can send
 * again at most the records in flight (at-least-once), never lose one.
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

/** A dead letter whose send failed: `not-written` (the broker refused it) or `unknown` (no answer: it may be in the target). */
interface Unacknowledged extends ReplayRef {
  outcome: 'not-written' | 'unknown'
  error: unknown
}

/** Acknowledged records whose ledger entries could not be written: a later replay sends them again. */
interface Unrecorded {
  refs: ReplayRef[]
  error: unknown
}

function outcomeOf(error: unknown): Unacknowledged['outcome'] {
  return isKafkitError(error) && error.context.outcome === 'not-written' ? 'not-written' : 'unknown'
}

const position = (dlqTopic: string, ref: ReplayRef) => `${dlqTopic}[${ref.partition}]@${ref.offset} -> ${ref.target}`
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/**
 * The error of a replay whose sends or ledger writes failed. It names where: the first
 * dead letter not replayed as `context.topic`/`partition`/`offset` (the dead-letter topic's
 * position), its `target`, and every one in `context.failed`; its code, retriability and
 * cause are those of the first failure.
 */
function replayError(dlqTopic: string, ledgerTopic: string, unacknowledged: Unacknowledged[], unrecorded: Unrecorded[]): KafkitError {
  const failed = [...unacknowledged].sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : BigInt(a.offset) > BigInt(b.offset) ? 1 : 0))
  const notNoted = unrecorded.flatMap((u) => u.refs)
  const first = failed[0]
  const cause = first?.error ?? unrecorded[0]?.error
  const code: KafkitErrorCode = isKafkitError(cause) ? cause.code : 'KAFKIT_KAFKA'
  const retriable = isKafkitError(cause) ? cause.retriable : true
  const parts: string[] = []
  if (first !== undefined) {
    const unknown = failed.filter((f) => f.outcome === 'unknown').length
    const shown = failed.slice(0, 5).map((f) => position(dlqTopic, f)).join(', ')
    const more = failed.length > 5 ? ` and ${failed.length - 5} more` : ''
    const them = failed.length === 1 ? 'it' : 'them'
    const verdict =
      unknown === 0
        ? `the broker did not write ${them}; a later replay sends ${them} again`
        : `${unknown === failed.length ? (failed.length === 1 ? 'it' : 'they') : `${unknown} of them`} got no answer and may or may not be in the target; a later replay sends ${them} again (and may duplicate those)`
    parts.push(`${plural(failed.length, 'dead letter')} not acknowledged: ${shown}${more} (${messageOf(first.error)}); ${verdict}`)
  }
  if (notNoted.length > 0) {
    parts.push(`${plural(notNoted.length, 'replayed record')} (the first ${position(dlqTopic, notNoted[0]!)}) could not be noted in the ledger ${ledgerTopic} (${messageOf(unrecorded[0]!.error)}); a later replay sends them again`)
  }
  const at = first ?? notNoted[0]!
  const targets = [...new Set([...failed.map((f) => f.target), ...notNoted.map((r) => r.target)])]
  return new KafkitError(code, `replay of ${dlqTopic} to ${targets.join(', ')} failed: ${parts.join('; ')}`, {
    cause,
    retriable,
    context: {
      topic: dlqTopic,
      partition: at.partition,
      offset: at.offset,
      dlqTopic,
      target: at.target,
      ...(targets.length > 1 ? { targets } : {}),
      ...(isKafkitError(cause) && cause.context.kafkaError !== undefined ? { kafkaError: cause.context.kafkaError } : {}),
      failed: failed.map(({ partition, offset, target, outcome }) => ({ partition, offset, target, outcome })),
      ...(notNoted.length > 0 ? { ledgerTopic, unrecorded: notNoted } : {}),
    },
  })
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

  /** The replayed dead letters, by position, with 32 bits of each one's fingerprint (4 bytes per entry of a contiguous run). */
  async #ledger(timeoutMs?: number): Promise<ReplayLedger> {
    const replayed = new ReplayLedger()
    if ((await this.#deps.topics.describe(ledgerTopicOf(this.topic))) === undefined) return replayed
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
    if (!exists && (await this.#deps.topics.describe(this.topic)) === undefined) {
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
   * topic: at most a few thousand records are in memory at once, sent in batches of
   * {@link CHUNK_RECORDS} with a few batches in flight, in order per partition.
   * @throws KafkitError when a record's send or a ledger write failed, once every batch in
   * flight settled: it names the dead letters not replayed (`context.topic`, `partition`,
   * `offset` of the first, its `target`, all of them in `context.failed`); the records the
   * broker acknowledged are in the ledger, so running the replay again sends only the others.
   * @throws KafkitError `KAFKIT_CONFIG` (not retriable, `context.topic` the name) when the
   * dead-letter topic does not exist, before anything is written (no ledger topic is created).
   */
  async replay(options: ReplayOptions = {}): Promise<ReplayReport> {
    const dryRun = options.dryRun ?? false
    const collect = options.collect ?? true
    const ledgerTopic = ledgerTopicOf(this.topic)
    // Looked up first: a misspelt name must not pass for an empty dead-letter topic, nor leave a ledger topic behind.
    const dlq = await this.#deps.topics.describe(this.topic)
    if (dlq === undefined) {
      // An input error (a misspelt name, or the wrong cluster), as an option naming nothing: `kafkit dlq replay` exits 2.
      throw new KafkitError('KAFKIT_CONFIG', `replay of ${this.topic}: the dead-letter topic '${this.topic}' does not exist; nothing was replayed and no ledger created`, {
        retriable: false,
        context: { topic: this.topic, dlqTopic: this.topic },
      })
    }
    if (!dryRun) {
      await this.#deps.topics.ensureTopics([{ name: ledgerTopic, partitions: 1, replicationFactor: dlq.replicationFactor, config: { 'cleanup.policy': 'compact' } }])
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

    const sender = options.timeoutMs !== undefined && this.#deps.senderWithin !== undefined ? this.#deps.senderWithin(options.timeoutMs) : this.#deps.sender
    const replayed = (ref: ReplayRef) => {
      report.replayedCount++
      if (collect) report.replayed.push(ref)
      this.#events.emit('replay.record', { dlqTopic: this.topic, partition: ref.partition, offset: ref.offset, target: ref.target, dryRun })
    }
    // Batches in flight, oldest first; each settles once its records and then the ledger
    // entries of those acknowledged are written (or failed).
    const inFlight: Promise<void>[] = []
    const unacknowledged: Unacknowledged[] = []
    const unrecorded: Unrecorded[] = []
    const failed = () => unacknowledged.length > 0 || unrecorded.length > 0
    // Replayed records are reported in read order: each batch after the one before it.
    let reported: Promise<void> = Promise.resolve()
    let chunk: Outgoing[] = []
    // Targets known to exist. Each record is its own send, and the producer lets sends to one
    // topic in one at a time: to a missing topic, each would retry its metadata for seconds
    // before failing, one after the other. A target is looked up once instead, and its
    // records are not sent when it does not exist.
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
    const flush = async () => {
      if (chunk.length === 0) return
      const sending = chunk
      chunk = []
      const missing = new Map<string, unknown>()
      for (const target of new Set(sending.map((o) => o.ref.target))) {
        const problem = await absent(target)
        if (problem !== undefined) {
          // Looked up again next time: a lookup that failed may succeed later.
          targets.delete(target)
          missing.set(target, problem)
        }
      }
      // One send per record, so each has its own acknowledgement and the ledger lists exactly
      // what the broker took, whatever became of the records around it or of other batches.
      // The producer still writes them in batches per partition, in this order.
      const sends = sending.map((o) => (missing.has(o.ref.target) ? undefined : sender.send([o.record])))
      const acked = Promise.allSettled(sends).then((results) => {
        const ok: Outgoing[] = []
        results.forEach((result, i) => {
          const o = sending[i]!
          // Not sent at all: its target is missing (or could not be looked up).
          if (sends[i] === undefined) unacknowledged.push({ ...o.ref, outcome: 'not-written', error: missing.get(o.ref.target) })
          else if (result.status === 'fulfilled') ok.push(o)
          else unacknowledged.push({ ...o.ref, outcome: outcomeOf(result.reason), error: result.reason })
        })
        return ok
      })
      reported = reported.then(() => acked).then((ok) => ok.forEach((o) => replayed(o.ref)))
      const noted = acked.then(async (ok) => {
        if (ok.length === 0) return
        try {
          await sender.send(ok.map((o) => o.ledger))
        } catch (error) {
          unrecorded.push({ refs: ok.map((o) => o.ref), error })
        }
      })
      inFlight.push(Promise.all([noted, reported]).then(() => undefined))
      while (inFlight.length >= CHUNKS_IN_FLIGHT) await inFlight.shift()
    }

    const entries = this.#entries(options.partition, {
      onStart: (start: TopicScanStart) => void (total = start.total),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    }, true)
    let readFailure: { error: unknown } | undefined
    try {
      for await (const { entry, fingerprint: fingerprintOf } of entries) {
        // A failed send or ledger write stops the replay: nothing more is sent.
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
            // Ahead of the rate: send what is waiting, then wait.
            await flush()
            await sleep(nextAt - now)
          }
          nextAt = Math.max(nextAt, Date.now()) + intervalMs
        }
        const headers: RawHeaders = { ...entry.headers, [KafkitHeaders.replayOf]: `${this.topic}/${entry.partition}/${entry.offset}` }
        delete headers[KafkitHeaders.replayGroup]
        if ((options.audience ?? 'original-group') === 'original-group' && entry.info.groupId) headers[KafkitHeaders.replayGroup] = entry.info.groupId
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
    } finally {
      // Every batch sent settles, and the acknowledged records are noted, before the replay returns or fails.
      await Promise.all(inFlight)
    }
    // A failed send names the dead letters it concerns; it outranks a read that failed after it.
    if (failed()) throw replayError(this.topic, ledgerTopic, unacknowledged, unrecorded)
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
