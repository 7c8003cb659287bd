import type { DeadLetterDeps } from './engine.js'
import { type ConsumerEvents, EventHub } from './events.js'
import { type DeadLetterInfo, diagnosticHeaderNames, KafkitHeaders, parseDeadLetterHeaders } from './headers.js'
import { sleep } from './heartbeat.js'
import type { OutgoingRecord, RawHeaders, RawRecord } from './records.js'

/** Which dead letters an operation looks at. Every given filter must match. */
export interface DeadLetterFilter {
  /** Only these error codes (`KAFKIT_SERDE_DECODE`…). */
  errorCodes?: string[]
  /** Failed at or after this time. */
  since?: Date | number
  /** Failed before this time. */
  until?: Date | number
  /** Only this DLQ partition. */
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
}

/** What a replay did. */
export interface ReplayReport {
  dryRun: boolean
  replayed: { partition: number; offset: string; target: string }[]
  skipped: { filtered: number; alreadyReplayed: number; noTarget: number }
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

function toEntry(record: RawRecord, ledger: ReadonlySet<string>): DeadLetterEntry {
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
    replayed: ledger.has(`${record.partition}:${record.offset}`),
  }
}

/**
 * Operator tools for one dead-letter topic: list, inspect, replay. Made by
 * `kafka.deadLetters('<topic>.dlq')`; the `kafkit dlq` commands use it.
 */
export class DeadLetterTopic {
  readonly #events = new EventHub()
  readonly #deps: DeadLetterDeps
  /** The dead-letter topic. */
  readonly topic: string

  /** @internal Use `kafka.deadLetters(topic)`. */
  constructor(topic: string, deps: DeadLetterDeps) {
    this.topic = topic
    this.#deps = deps
  }

  /** Subscribes to `replay.*` events; returns the unsubscribe function. */
  on<K extends 'replay.record' | 'replay.skipped' | 'replay.done'>(name: K, listener: (payload: ConsumerEvents[K]) => void): () => void {
    return this.#events.on(name, listener)
  }

  async #ledger(): Promise<Set<string>> {
    const replayed = new Set<string>()
    await this.#deps.scan(ledgerTopicOf(this.topic), (record) => {
      // A null value is a tombstone: the entry was deleted to allow a new replay.
      if (record.key !== null) record.value === null ? replayed.delete(record.key.toString()) : replayed.add(record.key.toString())
    })
    return replayed
  }

  /** Dead letters matching `filter`, oldest first per partition. */
  async list(filter: DeadLetterFilter = {}): Promise<DeadLetterEntry[]> {
    const existing = await this.#deps.topics.describe(this.topic)
    if (existing === undefined) return []
    const ledger = (await this.#deps.topics.describe(ledgerTopicOf(this.topic))) === undefined ? new Set<string>() : await this.#ledger()
    const entries: DeadLetterEntry[] = []
    await this.#deps.scan(this.topic, (record) => {
      const entry = toEntry(record, ledger)
      if (matches(entry, filter)) entries.push(entry)
    })
    return entries
  }

  /** One dead letter by position, or `undefined`. */
  async inspect(partition: number, offset: string): Promise<DeadLetterEntry | undefined> {
    return (await this.list({ partition })).find((e) => e.offset === offset)
  }

  /**
   * Sends matching dead letters back to their original topic (or `to`), with their key,
   * value bytes and own headers, plus `kafkit-replay-of: <dlq>/<partition>/<offset>`.
   * Records an earlier replay sent are skipped (see {@link ledgerTopicOf}).
   */
  async replay(options: ReplayOptions = {}): Promise<ReplayReport> {
    const dryRun = options.dryRun ?? false
    const ledgerTopic = ledgerTopicOf(this.topic)
    if (!dryRun) {
      const dlq = await this.#deps.topics.describe(this.topic)
      await this.#deps.topics.ensureTopics([{ name: ledgerTopic, partitions: 1, ...(dlq ? { replicationFactor: dlq.replicationFactor } : {}), config: { 'cleanup.policy': 'compact' } }])
    }
    const report: ReplayReport = { dryRun, replayed: [], skipped: { filtered: 0, alreadyReplayed: 0, noTarget: 0 } }
    const intervalMs = options.ratePerSecond && options.ratePerSecond > 0 ? 1_000 / options.ratePerSecond : 0
    let nextAt = 0
    for (const entry of await this.list({})) {
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
      if (!dryRun) {
        if (intervalMs > 0) {
          const wait = nextAt - Date.now()
          if (wait > 0) await sleep(wait)
          nextAt = Math.max(nextAt, Date.now()) + intervalMs
        }
        const ref = `${this.topic}/${entry.partition}/${entry.offset}`
        const headers: RawHeaders = { ...entry.headers, [KafkitHeaders.replayOf]: ref }
        delete headers[KafkitHeaders.replayGroup]
        if ((options.audience ?? 'original-group') === 'original-group' && entry.info.groupId) headers[KafkitHeaders.replayGroup] = entry.info.groupId
        const record: OutgoingRecord = { topic: target, key: entry.key, value: entry.value, headers }
        await this.#deps.sender.send([record])
        await this.#deps.sender.send([{ topic: ledgerTopic, key: Buffer.from(`${entry.partition}:${entry.offset}`), value: Buffer.from(JSON.stringify({ target, at: Date.now() })), headers: {}, partition: 0 }])
      }
      report.replayed.push({ partition: entry.partition, offset: entry.offset, target })
      this.#events.emit('replay.record', { dlqTopic: this.topic, partition: entry.partition, offset: entry.offset, target, dryRun })
    }
    this.#events.emit('replay.done', { dlqTopic: this.topic, replayed: report.replayed.length, skipped: report.skipped.filtered + report.skipped.alreadyReplayed + report.skipped.noTarget, dryRun })
    return report
  }

  /** Releases the connections this tool opened. */
  async disconnect(): Promise<void> {
    await this.#deps.release?.()
  }
}
