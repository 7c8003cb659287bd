import { backoffDelayMs } from '../runtime/backoff.js'
import { processBatch, type Route, type RuntimeContext, type WorkBatch } from '../runtime/batch.js'
import type { ConsumerDeps } from '../runtime/engine.js'
import type { EventHub } from '../runtime/events.js'
import { sleep } from '../runtime/heartbeat.js'
import { type BatchRecord, type OutgoingRecord, toWireMessage } from '../runtime/records.js'
import { KafkitError, isKafkitError } from '../errors.js'
import type { TransportTransactionalProducer } from '../internal/transport/index.js'
import { encodeBatch } from '../producer.js'
import { classifyTransactionError, fencedError, OpenTransaction } from '../transaction.js'
import type { PipelineBatch } from './engine.js'
import type { PipelineEvents } from './events.js'
import type { ResolvedPipelineOptions } from './options.js'
import { type Buffered, keep, type TransformFn } from './outputs.js'

/** What the transaction loop needs of its pipeline. */
export interface LoopHost {
  readonly events: EventHub<PipelineEvents>
  /** Every transform in flight, aborted on shutdown past its timeout. */
  readonly inFlight: Set<AbortController>
  /** Aborts when the pipeline stops: a backoff between tries ends at once. */
  readonly stopSignal: AbortSignal
  readonly aroundHandler?: ConsumerDeps['aroundHandler']
  committedOffset(groupId: string, topic: string, partition: number): Promise<bigint | undefined>
  isStopping(): boolean
  /** Stops the pipeline for good (from inside a batch: must not wait for it). */
  fail(error: KafkitError): void
}

/**
 * The transaction loop of a pipeline: per partition batch, runs the transform over its
 * inputs in the consumer runtime (outputs and dead letters buffered), then writes the
 * buffer and the next offset in one transaction, retrying transient failures from the
 * group's committed offset until it commits or the pipeline stops.
 */
export class TransactionLoop {
  readonly #o: ResolvedPipelineOptions
  readonly #producer: TransportTransactionalProducer
  readonly #route: Omit<Route, 'handler'>
  readonly #transform: TransformFn
  readonly #host: LoopHost
  /** Per partition (`topic:partition`), the next offset this instance committed: a lost answer's work is not done twice. */
  readonly #floors = new Map<string, bigint>()
  /**
   * Partitions (`topic:partition`) whose last commit failed without an answer and whose
   * group offset has not been read since: their position is unknown (the commit may have
   * happened), so nothing of them is transformed again until `committedOffset` answers.
   */
  readonly #mustResync = new Set<string>()
  #txnQueue: Promise<void> = Promise.resolve()

  constructor(options: ResolvedPipelineOptions, producer: TransportTransactionalProducer, route: Omit<Route, 'handler'>, transform: TransformFn, host: LoopHost) {
    this.#o = options
    this.#producer = producer
    this.#route = route
    this.#transform = transform
    this.#host = host
  }

  /** Closes the transactional producer. */
  disconnect(): Promise<void> {
    return this.#producer.disconnect()
  }

  /** The group changed: what this instance committed is no guide once partitions may have moved. */
  forgetPositions(): void {
    this.#floors.clear()
  }

  /** One partition batch: split into transactions of at most `maxRecordsPerTransaction` inputs. */
  async onBatch(batch: PipelineBatch): Promise<void> {
    const max = this.#o.maxRecordsPerTransaction
    let i = 0
    while (i < batch.records.length) {
      if (!batch.isRunning() || batch.isStale() || this.#host.isStopping()) return
      const chunk = batch.records.slice(i, i + max)
      const last = await this.#transact(batch, chunk)
      if (last === undefined) return
      batch.resolveOffset(last)
      const consumed = chunk.findIndex((record) => record.offset === last) + 1
      if (consumed < chunk.length) return
      i += consumed
    }
  }

  /**
   * Runs one chunk in one transaction until it commits: its outputs, dead letters and the
   * next offset. Returns the offset of the last record committed, or `undefined` when it
   * stopped first (stopping, fenced, fatal error).
   * @throws the rebalance error, after the abort, so the engine rejoins the group
   */
  async #transact(batch: PipelineBatch, chunk: BatchRecord[]): Promise<string | undefined> {
    const o = this.#o
    const producer = this.#producer
    const route = this.#route
    const key = `${batch.topic}:${batch.partition}`
    for (let attempt = 1; ; attempt++) {
      if (this.#mustResync.has(key)) {
        // The group's offset could not be read after a failed commit: the chunk may be
        // committed already. Only retry the recovery; running the transform would commit it twice.
        if (!(await this.#recover(batch, key, backoffDelayMs(attempt, o.transactionBackoff)))) return undefined
        if (this.#host.isStopping() || !batch.isRunning() || batch.isStale()) return undefined
        continue
      }
      const floor = this.#floors.get(key)
      const pending = floor === undefined ? chunk : chunk.filter((record) => BigInt(record.offset) >= floor)
      // A commit whose answer was lost did happen: these records are done.
      if (pending.length === 0) return (chunk[chunk.length - 1] as BatchRecord).offset
      const startedAt = Date.now()
      const buffer: Buffered = new Map()
      let resolved: string | undefined
      let tx: OpenTransaction | undefined
      // 'member': a heartbeat said the group changed; no commit may follow, the engine rejoins.
      let phase: 'handle' | 'member' | 'begin' | 'write' | 'commit' = 'handle'
      let next = ''
      let release: (() => void) | undefined
      try {
        // Transform first, into a buffer: the transaction is open only while it is written,
        // and partitions handled concurrently share the one producer, one transaction at a time.
        await processBatch(this.#work(batch, pending, (offset) => (resolved = offset)), this.#routeFor(buffer, route), this.#runtime(buffer))
        if (resolved === undefined || batch.isStale()) return undefined
        release = await this.#lock()
        // The lock may have taken a while (other partitions' transactions): still a member?
        phase = 'member'
        await batch.heartbeat()
        phase = 'begin'
        tx = new OpenTransaction(o.transactionalId, await producer.begin(), encodeBatch, { compression: o.compression, timeoutMs: 30_000 })
        this.#host.events.emit('producer.txn.begin', { transactionalId: o.transactionalId, attempt })
        phase = 'write'
        next = String(BigInt(resolved) + 1n)
        // The batch's last record done: commit past the transaction markers behind it too.
        if (resolved === batch.records[batch.records.length - 1]?.offset && BigInt(batch.nextOffset) > BigInt(next)) next = batch.nextOffset
        const wire = [...buffer].map(([topic, messages]) => ({ topic, messages }))
        if (wire.length > 0) void tx.sendWire(wire).catch(() => {})
        void tx.sendOffsets(o.groupId, [{ topic: batch.topic, partition: batch.partition, offset: next }]).catch(() => {})
        await tx.settle()
        // Writing may have taken a while too: a member that lost its partitions meanwhile
        // aborts rather than commit offsets of partitions another member now reads.
        phase = 'member'
        await batch.heartbeat()
        phase = 'commit'
        await tx.commit()
      } catch (error) {
        if (phase === 'write' || (phase === 'member' && tx !== undefined)) await tx?.abort().catch(() => {})
        release?.()
        release = undefined
        // A lost group membership (from the runtime's heartbeats or ours): let the engine rejoin.
        if (phase === 'handle' || phase === 'member') {
          if (tx !== undefined) this.#emitAbort(attempt, startedAt, 'revoked', error)
          throw error
        }
        // An abort refused as fenced shows what the failure was (see fencingShownBy).
        if (tx !== undefined) error = tx.settledFailure(error)
        const kind = classifyTransactionError(error)
        if (kind !== 'transient') {
          const fatal = kind === 'fenced' ? fencedError(o.transactionalId, error) : (error as KafkitError)
          this.#emitAbort(attempt, startedAt, 'kafka-error', fatal)
          if (kind === 'fenced') this.#host.events.emit('producer.txn.fenced', { transactionalId: o.transactionalId, error: fatal })
          this.#host.fail(fatal)
          return undefined
        }
        if (phase === 'commit') {
          this.#mustResync.add(key)
          this.#host.events.emit('producer.txn.commit-unknown', { transactionalId: o.transactionalId, error: error as KafkitError })
        }
        const delayMs = backoffDelayMs(attempt, o.transactionBackoff)
        this.#emitAbort(attempt, startedAt, 'kafka-error', error, delayMs)
        if (!(await this.#recover(batch, key, delayMs))) return undefined
        if (this.#host.isStopping() || !batch.isRunning() || batch.isStale()) return undefined
        continue
      }
      release?.()
      this.#floors.set(key, BigInt(next))
      const outputs = [...buffer.values()].reduce((sum, list) => sum + list.length, 0)
      const durationMs = Date.now() - startedAt
      this.#host.events.emit('producer.txn.commit', { transactionalId: o.transactionalId, attempt, records: outputs, topics: [...buffer.keys()], durationMs })
      this.#host.events.emit('pipeline.committed', {
        groupId: o.groupId,
        transactionalId: o.transactionalId,
        topic: batch.topic,
        partition: batch.partition,
        inputs: pending.findIndex((record) => record.offset === resolved) + 1,
        outputs,
        nextOffset: next,
        durationMs,
      })
      return resolved
    }
  }

  /**
   * After a failed transaction: waits `delayMs`, registers the transactional id again (which
   * settles the failed transaction) and resumes from the group's committed offset, the truth
   * after an uncertain failure. A failed recovery leaves `key` to resync (when a commit
   * failed) for the next try. Returns `false` when the pipeline stops (stopping, fenced).
   */
  async #recover(batch: PipelineBatch, key: string, delayMs: number): Promise<boolean> {
    const o = this.#o
    try {
      await sleep(delayMs, this.#host.stopSignal)
      await (this.#producer).init()
      const committed = await this.#host.committedOffset(o.groupId, batch.topic, batch.partition)
      if (committed === undefined) this.#floors.delete(key)
      else this.#floors.set(key, committed)
      this.#mustResync.delete(key)
      this.#host.events.emit('pipeline.resumed', { groupId: o.groupId, topic: batch.topic, partition: batch.partition, committedOffset: committed?.toString() })
    } catch (recovery) {
      if (this.#host.isStopping()) return false
      if (classifyTransactionError(recovery) === 'fenced') {
        const fatal = fencedError(o.transactionalId, recovery as KafkitError)
        this.#host.events.emit('producer.txn.fenced', { transactionalId: o.transactionalId, error: fatal })
        this.#host.fail(fatal)
        return false
      }
    }
    return true
  }

  /** One transaction at a time on the pipeline's producer; resolves with the release. */
  #lock(): Promise<() => void> {
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const acquired = this.#txnQueue.then(() => release)
    this.#txnQueue = this.#txnQueue.then(() => held)
    return acquired
  }

  #emitAbort(attempt: number, startedAt: number, reason: 'callback-error' | 'kafka-error' | 'stopping' | 'revoked', error: unknown, retryInMs?: number): void {
    this.#host.events.emit('producer.txn.abort', {
      transactionalId: this.#o.transactionalId,
      attempt,
      reason,
      errorCode: isKafkitError(error) ? error.code : 'KAFKIT_KAFKA',
      errorMessage: error instanceof Error ? error.message : String(error),
      durationMs: Date.now() - startedAt,
      ...(retryInMs === undefined ? {} : { retryInMs }),
    })
  }

  /** The inputs of one transaction, as the runtime works through them: resolving only records how far it got. */
  #work(batch: PipelineBatch, records: BatchRecord[], resolve: (offset: string) => void): WorkBatch {
    return {
      topic: batch.topic,
      partition: batch.partition,
      records,
      resolveOffset: resolve,
      heartbeat: () => batch.heartbeat(),
      isRunning: () => batch.isRunning(),
      isStale: () => batch.isStale(),
    }
  }

  #routeFor(buffer: Buffered, route: Omit<Route, 'handler'>): Route {
    const transform = this.#transform
    return { ...route, handler: { kind: 'message', fn: (message) => transform(message, buffer) } }
  }

  #runtime(buffer: Buffered): RuntimeContext {
    return {
      groupId: this.#o.groupId,
      events: this.#host.events as unknown as RuntimeContext['events'],
      // Dead letters join the open transaction: written if and only if it commits.
      sink: {
        send: async (records: OutgoingRecord[]) => {
          for (const r of records) keep(buffer, r.topic, [toWireMessage(r)])
        },
      },
      heartbeatIntervalMs: this.#o.heartbeatIntervalMs,
      ...(this.#host.aroundHandler === undefined ? {} : { aroundHandler: this.#host.aroundHandler }),
      inFlight: this.#host.inFlight,
      isStopping: () => this.#host.isStopping(),
      now: () => Date.now(),
      // Dead letters go into the transaction buffer, which never refuses; kept for completeness.
      fail: (error) => this.#host.fail(error),
    }
  }
}
