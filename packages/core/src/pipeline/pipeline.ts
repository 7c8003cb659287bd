import type { AnyTopicContract, OutgoingMessage } from '../contract.js'
import { backoffDelayMs } from '../consumer/backoff.js'
import type { EngineBatch } from '../consumer/engine.js'
import { EventHub } from '../consumer/events.js'
import { sleep } from '../consumer/heartbeat.js'
import type { HandlerContext, Message } from '../consumer/message.js'
import { selectPolicy } from '../consumer/policy.js'
import { type OutgoingRecord, type RawRecord, toWireMessage } from '../consumer/records.js'
import { processBatch, type Route, type RuntimeContext } from '../consumer/runtime.js'
import { Lifecycle, type LifecycleState } from '../consumer/lifecycle.js'
import { watchGroup } from '../consumer/group-watch.js'
import { onSignals } from '../consumer/shutdown.js'
import { KafkitError, isKafkitError } from '../errors.js'
import { encodeRecords } from '../internal/record.js'
import type { TransportTransactionalProducer, WireMessage, WireTopicMessages } from '../internal/transport/index.js'
import { createDefaultPartitioner } from '../partitioner.js'
import { encodeBatch } from '../producer.js'
import { classifyTransactionError, fencedError, OpenTransaction } from '../transaction.js'
import type { PipelineBatch, PipelineDeps, PipelineEngine } from './engine.js'
import type { PipelineEvents } from './events.js'
import { type PipelineOptions, type ResolvedPipelineOptions, resolvePipelineOptions } from './options.js'

/** What a transform returns for one output contract: one message, several, or none (`null`/`undefined`/`[]`). */
export type PipelineOutput<C extends AnyTopicContract> = OutgoingMessage<C> | readonly OutgoingMessage<C>[] | null | undefined | void

/** Several output contracts, by a name of your choosing. */
export type PipelineOutputs = Record<string, AnyTopicContract>

/** What a transform with several outputs returns: per output name, its message(s); leave a name out for none. */
export type PipelineResults<O extends PipelineOutputs> = { [K in keyof O]?: PipelineOutput<O[K]> }

/** The transform: one consumed input in, typed output records out. Throw to fail the input (the failure policy decides). */
export type PipelineTransform<In extends AnyTopicContract, R> = (message: Message<In> & HandlerContext) => R | Promise<R>

/** The builder step after `from()`: say where the results go. */
export interface PipelineSource<In extends AnyTopicContract> {
  /**
   * One output topic: `transform` returns a message, several, or none.
   * @throws KafkitError `KAFKIT_CONFIG` when called twice or after `start()`
   */
  to<Out extends AnyTopicContract>(output: Out, transform: PipelineTransform<In, PipelineOutput<Out>>): KafkitPipeline
  /** Several output topics by name: `transform` returns `{ name: message(s) }`. */
  to<O extends PipelineOutputs>(outputs: O, transform: PipelineTransform<In, PipelineResults<O> | null | undefined | void>): KafkitPipeline
}

const isContract = (value: unknown): value is AnyTopicContract =>
  typeof value === 'object' && value !== null && typeof (value as AnyTopicContract).name === 'string' && typeof (value as AnyTopicContract).value?.encode === 'function'

type Buffered = Map<string, WireTopicMessages['messages']>
type TransformFn = (message: Message<AnyTopicContract> & HandlerContext, buffer: Buffered) => void | Promise<void>

/** The encoded records of one output's result (one message or several); `undefined` for none. */
function encodeOutput(contract: AnyTopicContract, out: unknown): WireMessage[] | Promise<WireMessage[]> | undefined {
  if (out === null || out === undefined) return undefined
  const messages = Array.isArray(out) ? (out as OutgoingMessage<AnyTopicContract>[]) : [out as OutgoingMessage<AnyTopicContract>]
  return messages.length === 0 ? undefined : encodeRecords(contract, messages)
}

/** Appends encoded outputs to the transaction buffer. */
function keep(buffer: Buffered, topic: string, messages: WireMessage[]): void {
  const list = buffer.get(topic)
  if (list === undefined) buffer.set(topic, messages)
  else for (const message of messages) list.push(message)
}

/**
 * Exactly-once consume-transform-produce: reads an input topic with `read_committed`,
 * runs a typed transform, and writes its results together with the consumed offsets in
 * one transaction per batch (at most `maxRecordsPerTransaction` inputs). Poison or failing
 * inputs follow the failure policy (retry in place, then the dead-letter topic), and the
 * dead letter is part of the same transaction. Made by `kafka.pipeline(options)`.
 *
 * @example
 * ```ts
 * const pipeline = kafka
 *   .pipeline({ groupId: 'enricher', transactionalId: `enricher-${process.env.HOSTNAME}` })
 *   .from(UserActivity)
 *   .to(Enriched, async ({ key, value }) => ({ key, value: { ...value, country: await geo(value.ip) } }))
 * await pipeline.start()
 * ```
 */
export class KafkitPipeline {
  readonly #options: ResolvedPipelineOptions
  readonly #deps: PipelineDeps
  readonly #events = new EventHub<PipelineEvents>((error) => process.emitWarning(`kafkit pipeline event listener threw: ${String(error)}`))
  readonly #inFlight = new Set<AbortController>()
  readonly #floors = new Map<string, bigint>()
  /**
   * Partitions (`topic:partition`) whose last commit failed without an answer and whose
   * group offset has not been read since: their position is unknown (the commit may have
   * happened), so nothing of them is transformed again until `committedOffset` answers.
   */
  readonly #mustResync = new Set<string>()
  readonly #stopSignal = new AbortController()
  #input: AnyTopicContract | undefined
  #outputs: string[] = []
  #route: Omit<Route, 'handler'> | undefined
  #transform: TransformFn | undefined
  #producer: TransportTransactionalProducer | undefined
  #engine: PipelineEngine | undefined
  readonly #life: Lifecycle
  #fatal: KafkitError | undefined
  #txnQueue: Promise<void> = Promise.resolve()
  #removeSignals: () => void = () => {}
  #unsubscribeEngine: (() => void)[] = []
  #settle!: { resolve: () => void; reject: (error: unknown) => void }
  /**
   * Settles when the pipeline stopped: resolves after `stop()`, rejects with the
   * `KafkitError` that stopped it otherwise (`KAFKIT_PRODUCER_FENCED` when another instance
   * took the transactional id over, or another fatal error).
   */
  readonly done: Promise<void>

  /** @internal Use `kafka.pipeline(options)`. */
  constructor(deps: PipelineDeps, options: PipelineOptions) {
    this.#options = resolvePipelineOptions(options)
    this.#deps = deps
    this.#life = new Lifecycle(`pipeline ${this.#options.groupId}`)
    this.done = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }))
    // Awaiting `done` is optional: an unobserved failure must not crash the process on its own.
    this.done.catch(() => {})
  }

  /** The consumer group. */
  get groupId(): string {
    return this.#options.groupId
  }

  /** The transactional id this instance registers. */
  get transactionalId(): string {
    return this.#options.transactionalId
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof PipelineEvents>(name: K, listener: (payload: PipelineEvents[K]) => void): () => void {
    return this.#events.on(name, listener)
  }

  /**
   * The input topic, read with `read_committed`.
   * @throws KafkitError `KAFKIT_CONFIG` when called twice or after `start()`
   */
  from<In extends AnyTopicContract>(input: In): PipelineSource<In> {
    if (this.#life.state !== 'idle' || this.#input !== undefined) throw new KafkitError('KAFKIT_CONFIG', 'pipeline.from() may be called once, before start()')
    if (!isContract(input)) throw new KafkitError('KAFKIT_CONFIG', 'pipeline.from(contract): expected a topic contract from defineTopic()')
    this.#input = input
    const settings = this.#options.policy
    this.#route = { contract: input, tier: -1, policy: selectPolicy(settings), settings }
    return { to: (outputs: AnyTopicContract | PipelineOutputs, transform: PipelineTransform<In, unknown>) => this.#to(outputs, transform as PipelineTransform<AnyTopicContract, unknown>) } as PipelineSource<In>
  }

  #to(outputs: AnyTopicContract | PipelineOutputs, transform: PipelineTransform<AnyTopicContract, unknown>): KafkitPipeline {
    if (this.#transform !== undefined || this.#life.state !== 'idle') throw new KafkitError('KAFKIT_CONFIG', 'pipeline.to() may be called once, before start()')
    if (typeof transform !== 'function') throw new KafkitError('KAFKIT_CONFIG', 'pipeline.to(output, transform): transform must be a function')
    const single = isContract(outputs)
    const named = single ? { '': outputs } : (outputs as PipelineOutputs)
    const entries = Object.entries(named)
    if (entries.length === 0 || entries.some(([, c]) => !isContract(c))) {
      throw new KafkitError('KAFKIT_CONFIG', 'pipeline.to(): expected a topic contract or an object of topic contracts')
    }
    this.#outputs = entries.map(([, c]) => c.name)
    const toBuffer = (result: unknown, buffer: Buffered): void | Promise<void> => {
      if (result === null || result === undefined) return
      // Encode before buffering: an invalid result fails this input alone (policy: dead letter).
      if (single) {
        const encoded = encodeOutput(outputs as AnyTopicContract, result)
        if (encoded === undefined) return
        return encoded instanceof Promise ? encoded.then((messages) => keep(buffer, (outputs as AnyTopicContract).name, messages)) : keep(buffer, (outputs as AnyTopicContract).name, encoded)
      }
      const parts: [string, WireMessage[] | Promise<WireMessage[]>][] = []
      let pending = false
      try {
        for (const [name, out] of Object.entries(result as Record<string, unknown>)) {
          const contract = named[name]
          if (contract === undefined) throw new KafkitError('KAFKIT_VALIDATION', `transform returned an unknown output '${name}' (known: ${Object.keys(named).join(', ')})`)
          const encoded = encodeOutput(contract, out)
          if (encoded === undefined) continue
          if (encoded instanceof Promise) pending = true
          parts.push([contract.name, encoded])
        }
      } catch (error) {
        // Outputs before this one may still be encoding; their outcome no longer matters.
        for (const [, part] of parts) if (part instanceof Promise) part.catch(() => {})
        throw error
      }
      if (!pending) {
        for (const [topic, messages] of parts) keep(buffer, topic, messages as WireMessage[])
        return
      }
      return Promise.all(parts.map(async ([topic, part]) => [topic, await part] as const)).then((settled) => {
        for (const [topic, messages] of settled) keep(buffer, topic, messages)
      })
    }
    // A synchronous transform with synchronous serdes runs without a trip through the microtask queue.
    this.#transform = (message, buffer) => {
      const result = transform(message)
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        return Promise.resolve(result as PromiseLike<unknown>).then((settled) => toBuffer(settled, buffer))
      }
      return toBuffer(result, buffer)
    }
    return this
  }

  /**
   * Registers the transactional id (fencing an older instance with the same id and
   * settling its open transaction), creates a missing dead-letter topic, joins the group
   * and starts. Resolves once running.
   * @throws KafkitError `KAFKIT_CONFIG` without `from().to()`, `KAFKIT_PRODUCER_FENCED`, `KAFKIT_KAFKA`
   */
  async start(): Promise<void> {
    const input = this.#input
    const route = this.#route
    const life = this.#life
    if (life.state === 'idle' && (input === undefined || route === undefined || this.#transform === undefined)) {
      throw new KafkitError('KAFKIT_CONFIG', 'pipeline: call from(input).to(output, transform) before start()')
    }
    const o = this.#options
    try {
      await life.start(
        async () => {
          if (route!.settings.deadLetter) {
            // The dead-letter topic gets the input's partition count and replication factor.
            const source = await this.#deps.topics.describe(input!.name)
            life.checkpoint()
            const name = route!.settings.deadLetter.topic(input!.name)
            await this.#deps.topics.ensureTopics([source ? { name, partitions: source.partitions, replicationFactor: source.replicationFactor } : { name }])
            life.checkpoint()
          }
          this.#producer = this.#deps.createProducer({
            transactionalId: o.transactionalId,
            transactionTimeoutMs: o.transactionTimeoutMs,
            // A transaction's writes can wait no longer than the broker lets it stay open.
            deliveryTimeoutMs: o.transactionTimeoutMs,
            allowAutoTopicCreation: false,
            partitioner: createDefaultPartitioner(),
          })
          // Before joining the group: whatever an older instance with this id left open is
          // committed or aborted by now, so the offsets we are about to read are settled.
          await this.#producer.init()
          life.checkpoint()
          const engine = this.#deps.createEngine({
            groupId: o.groupId,
            sessionTimeoutMs: o.sessionTimeoutMs,
            heartbeatIntervalMs: o.heartbeatIntervalMs,
            rebalanceTimeoutMs: o.rebalanceTimeoutMs,
            maxWaitTimeMs: o.maxWaitTimeMs,
            partitionsConcurrently: o.partitionsConcurrently,
            isolationLevel: 'read_committed',
          })
          this.#engine = engine
          this.#unsubscribeEngine = [
            // What this instance committed is no guide once the partitions may have moved.
            engine.on('rebalancing', () => this.#floors.clear()),
            watchGroup(engine, o.groupId, this.#events),
            engine.on('crash', (error, restart) => {
              // A crash the engine does not restart from ends the pipeline: `done` rejects with it.
              if (restart) this.#events.emit('consumer.crash', { groupId: o.groupId, error, restart })
              else this.#fail(isKafkitError(error) ? error : new KafkitError('KAFKIT_KAFKA', `pipeline ${o.groupId} crashed: ${String(error)}`, { cause: error }))
            }),
          ]
          await engine.connect()
          life.checkpoint()
          await engine.subscribe([input!.name], o.fromBeginning)
          life.checkpoint()
          await engine.run((batch) => this.#onBatch(batch))
        },
        {
          undo: () => this.#cleanup(),
          onRunning: () => {
            if (o.shutdown) this.#removeSignals = onSignals(o.shutdown.signals, (reason) => this.stop(reason))
            this.#events.emit('pipeline.started', { groupId: o.groupId, transactionalId: o.transactionalId, topic: input!.name, outputs: this.#outputs })
          },
        },
      )
    } catch (error) {
      // The engine gave up while the start was finishing (it could not join the group): that is why.
      const cause = this.#fatal ?? error
      const wrapped = isKafkitError(cause) && classifyTransactionError(cause) === 'fenced' ? fencedError(o.transactionalId, cause) : cause
      // Only a start that failed on its own ends the pipeline here. Stopped while starting:
      // `done` settles with the stop; start() called twice: the running pipeline goes on.
      if (!life.stopRequested && life.state === 'stopped') this.#settle.reject(wrapped)
      throw wrapped
    }
  }

  /**
   * Stops gracefully: no new fetches; the transform in flight gets `shutdown.timeoutMs` to
   * finish; what is finished is committed in a last transaction; the group is left.
   * Safe to call more than once.
   */
  stop(reason = 'stop()'): Promise<void> {
    return this.#life.stop((previous) => this.#stop(reason, previous))
  }

  /** Same as {@link stop}; lets `kafka.close()` stop every pipeline it made. */
  disconnect(): Promise<void> {
    return this.stop('disconnect()')
  }

  async #stop(reason: string, previous: LifecycleState): Promise<void> {
    this.#removeSignals()
    this.#events.emit('pipeline.stopping', { groupId: this.groupId, reason })
    // A partition waiting out a transaction retry's backoff (up to 30 s) gives up at once:
    // the engine's stop waits for the batch. Transforms in flight keep their shutdown time.
    this.#stopSignal.abort(new KafkitError('KAFKIT_ABORTED', `pipeline ${this.groupId} stopping (${reason})`))
    const timeoutMs = this.#options.shutdown ? this.#options.shutdown.timeoutMs : 30_000
    const timer = setTimeout(() => {
      const why = new KafkitError('KAFKIT_ABORTED', `pipeline ${this.groupId} stopping (${reason}): transform did not finish within ${timeoutMs} ms`)
      for (const controller of this.#inFlight) controller.abort(why)
    }, timeoutMs)
    try {
      if (this.#engine && previous === 'running') await this.#engine.stop()
    } finally {
      clearTimeout(timer)
      // A start that failed or was stopped cleaned up already.
      if (previous !== 'stopped') await this.#cleanup()
      this.#events.emit('pipeline.stopped', { groupId: this.groupId, ...(this.#fatal === undefined ? {} : { error: this.#fatal }) })
      if (this.#fatal === undefined) this.#settle.resolve()
      else this.#settle.reject(this.#fatal)
    }
  }

  async #cleanup(): Promise<void> {
    for (const unsubscribe of this.#unsubscribeEngine) unsubscribe()
    this.#unsubscribeEngine = []
    await this.#engine?.disconnect().catch(() => {})
    await this.#producer?.disconnect().catch(() => {})
    await this.#deps.release().catch(() => {})
  }

  #isStopping(): boolean {
    return this.#life.stopRequested || this.#life.state === 'stopped' || this.#fatal !== undefined
  }

  /** One partition batch: split into transactions of at most `maxRecordsPerTransaction` inputs. */
  async #onBatch(batch: PipelineBatch): Promise<void> {
    const max = this.#options.maxRecordsPerTransaction
    let i = 0
    while (i < batch.records.length) {
      if (!batch.isRunning() || batch.isStale() || this.#isStopping()) return
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
  async #transact(batch: PipelineBatch, chunk: RawRecord[]): Promise<string | undefined> {
    const o = this.#options
    const producer = this.#producer as TransportTransactionalProducer
    const route = this.#route as Omit<Route, 'handler'>
    const key = `${batch.topic}:${batch.partition}`
    for (let attempt = 1; ; attempt++) {
      if (this.#mustResync.has(key)) {
        // The group's offset could not be read after a failed commit: the chunk may be
        // committed already. Only retry the recovery; running the transform would commit it twice.
        if (!(await this.#recover(batch, key, backoffDelayMs(attempt, o.transactionBackoff)))) return undefined
        if (this.#isStopping() || !batch.isRunning() || batch.isStale()) return undefined
        continue
      }
      const floor = this.#floors.get(key)
      const pending = floor === undefined ? chunk : chunk.filter((record) => BigInt(record.offset) >= floor)
      // A commit whose answer was lost did happen: these records are done.
      if (pending.length === 0) return (chunk[chunk.length - 1] as RawRecord).offset
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
        await processBatch(this.#subBatch(batch, pending, (offset) => (resolved = offset)), this.#routeFor(buffer, route), this.#runtime(buffer))
        if (resolved === undefined || batch.isStale()) return undefined
        release = await this.#lock()
        // The lock may have taken a while (other partitions' transactions): still a member?
        phase = 'member'
        await batch.heartbeat()
        phase = 'begin'
        tx = new OpenTransaction(o.transactionalId, await producer.begin(), encodeBatch, { compression: o.compression, timeoutMs: 30_000 })
        this.#events.emit('producer.txn.begin', { transactionalId: o.transactionalId, attempt })
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
        const kind = classifyTransactionError(error)
        if (kind !== 'transient') {
          const fatal = kind === 'fenced' ? fencedError(o.transactionalId, error as KafkitError) : (error as KafkitError)
          this.#emitAbort(attempt, startedAt, 'kafka-error', fatal)
          if (kind === 'fenced') this.#events.emit('producer.txn.fenced', { transactionalId: o.transactionalId, error: fatal })
          this.#fail(fatal)
          return undefined
        }
        if (phase === 'commit') {
          this.#mustResync.add(key)
          this.#events.emit('producer.txn.commit-unknown', { transactionalId: o.transactionalId, error: error as KafkitError })
        }
        const delayMs = backoffDelayMs(attempt, o.transactionBackoff)
        this.#emitAbort(attempt, startedAt, 'kafka-error', error, delayMs)
        if (!(await this.#recover(batch, key, delayMs))) return undefined
        if (this.#isStopping() || !batch.isRunning() || batch.isStale()) return undefined
        continue
      }
      release?.()
      this.#floors.set(key, BigInt(next))
      const outputs = [...buffer.values()].reduce((sum, list) => sum + list.length, 0)
      const durationMs = Date.now() - startedAt
      this.#events.emit('producer.txn.commit', { transactionalId: o.transactionalId, attempt, records: outputs, topics: [...buffer.keys()], durationMs })
      this.#events.emit('pipeline.committed', {
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
    const o = this.#options
    try {
      await sleep(delayMs, this.#stopSignal.signal)
      await (this.#producer as TransportTransactionalProducer).init()
      const committed = await this.#deps.committedOffset(o.groupId, batch.topic, batch.partition)
      if (committed === undefined) this.#floors.delete(key)
      else this.#floors.set(key, committed)
      this.#mustResync.delete(key)
      this.#events.emit('pipeline.resumed', { groupId: o.groupId, topic: batch.topic, partition: batch.partition, committedOffset: committed?.toString() })
    } catch (recovery) {
      if (this.#isStopping()) return false
      if (classifyTransactionError(recovery) === 'fenced') {
        const fatal = fencedError(o.transactionalId, recovery as KafkitError)
        this.#events.emit('producer.txn.fenced', { transactionalId: o.transactionalId, error: fatal })
        this.#fail(fatal)
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
    this.#events.emit('producer.txn.abort', {
      transactionalId: this.#options.transactionalId,
      attempt,
      reason,
      errorCode: isKafkitError(error) ? error.code : 'KAFKIT_KAFKA',
      errorMessage: error instanceof Error ? error.message : String(error),
      durationMs: Date.now() - startedAt,
      ...(retryInMs === undefined ? {} : { retryInMs }),
    })
  }

  /** Stops the pipeline for good with `error` (from inside a batch: the stop must not wait for it). */
  #fail(error: KafkitError): void {
    if (this.#fatal !== undefined) return
    this.#fatal = error
    this.#events.emit('pipeline.failed', { groupId: this.groupId, transactionalId: this.transactionalId, error })
    void this.stop(`fatal: ${error.code}`)
  }

  #subBatch(batch: EngineBatch, records: RawRecord[], resolve: (offset: string) => void): EngineBatch {
    return {
      topic: batch.topic,
      partition: batch.partition,
      records,
      resolveOffset: resolve,
      heartbeat: () => batch.heartbeat(),
      // Offsets are committed by the transaction only.
      commitIfNecessary: async () => {},
      pause: () => batch.pause(),
      isRunning: () => batch.isRunning(),
      isStale: () => batch.isStale(),
    }
  }

  #routeFor(buffer: Buffered, route: Omit<Route, 'handler'>): Route {
    const transform = this.#transform as TransformFn
    return { ...route, handler: { kind: 'message', fn: (message) => transform(message, buffer) } }
  }

  #runtime(buffer: Buffered): RuntimeContext {
    return {
      groupId: this.groupId,
      events: this.#events as unknown as RuntimeContext['events'],
      // Dead letters join the open transaction: written if and only if it commits.
      sender: {
        send: async (records: OutgoingRecord[]) => {
          for (const r of records) {
            const list = buffer.get(r.topic) ?? []
            list.push(toWireMessage(r))
            buffer.set(r.topic, list)
          }
        },
      },
      heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
      ...(this.#deps.aroundHandler === undefined ? {} : { aroundHandler: this.#deps.aroundHandler }),
      inFlight: this.#inFlight,
      isStopping: () => this.#isStopping(),
      now: () => Date.now(),
      // Dead letters go into the transaction buffer, which never refuses; kept for completeness.
      fail: (error) => this.#fail(error),
      resumeAt: () => {},
    }
  }
}
