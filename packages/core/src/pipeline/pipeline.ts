import type { AnyTopicContract } from '../contract.js'
import { EventHub } from '../runtime/events.js'
import type { Route } from '../runtime/batch.js'
import { Lifecycle, type LifecycleState } from '../runtime/lifecycle.js'
import { selectPolicy } from '../runtime/policy.js'
import { watchGroup } from '../runtime/group-watch.js'
import { onSignals } from '../runtime/shutdown.js'
import { KafkitError, isKafkitError } from '../errors.js'
import { createDefaultPartitioner } from '../partitioner.js'
import { classifyTransactionError, fencedError } from '../transaction.js'
import type { PipelineDeps, PipelineEngine } from './engine.js'
import type { PipelineEvents } from './events.js'
import { type PipelineOptions, type ResolvedPipelineOptions, resolvePipelineOptions } from './options.js'
import { buildTransform, isContract, type PipelineOutputs, type PipelineSource, type PipelineTransform, type TransformFn } from './outputs.js'
import { TransactionLoop } from './transaction-loop.js'

export type { PipelineOutput, PipelineOutputs, PipelineResults, PipelineSource, PipelineTransform } from './outputs.js'

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
  readonly #stopSignal = new AbortController()
  #input: AnyTopicContract | undefined
  #outputs: string[] = []
  #route: Omit<Route, 'handler'> | undefined
  #transform: TransformFn | undefined
  #loop: TransactionLoop | undefined
  #engine: PipelineEngine | undefined
  readonly #life: Lifecycle
  #fatal: KafkitError | undefined
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
    return { to: (outputs: AnyTopicContract | PipelineOutputs, transform: PipelineTransform<In, unknown>) => this.#to(outputs, transform as unknown as PipelineTransform<AnyTopicContract, unknown>) } as PipelineSource<In>
  }

  #to(outputs: AnyTopicContract | PipelineOutputs, transform: PipelineTransform<AnyTopicContract, unknown>): KafkitPipeline {
    if (this.#transform !== undefined || this.#life.state !== 'idle') throw new KafkitError('KAFKIT_CONFIG', 'pipeline.to() may be called once, before start()')
    const built = buildTransform(outputs, transform)
    this.#outputs = built.topics
    this.#transform = built.run
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
          const producer = this.#deps.createProducer({
            transactionalId: o.transactionalId,
            transactionTimeoutMs: o.transactionTimeoutMs,
            // A transaction's writes can wait no longer than the broker lets it stay open.
            deliveryTimeoutMs: o.transactionTimeoutMs,
            allowAutoTopicCreation: false,
            partitioner: createDefaultPartitioner(),
          })
          const deps = this.#deps
          this.#loop = new TransactionLoop(o, producer, route!, this.#transform!, {
            events: this.#events,
            inFlight: this.#inFlight,
            stopSignal: this.#stopSignal.signal,
            ...(deps.aroundHandler === undefined ? {} : { aroundHandler: deps.aroundHandler }),
            committedOffset: (groupId, topic, partition) => deps.committedOffset(groupId, topic, partition),
            isStopping: () => this.#isStopping(),
            fail: (error) => this.#fail(error),
          })
          // Before joining the group: whatever an older instance with this id left open is
          // committed or aborted by now, so the offsets we are about to read are settled.
          await producer.init()
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
            // What this instance committed is no guide once the partitions may have moved
            // (watchGroup calls back on every change, also one only a join revealed).
            watchGroup(engine, o.groupId, this.#events, () => this.#loop?.forgetPositions()),
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
          const loop = this.#loop
          await engine.run((batch) => loop.onBatch(batch))
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
    await this.#loop?.disconnect().catch(() => {})
    await this.#deps.release().catch(() => {})
  }

  #isStopping(): boolean {
    return this.#life.stopRequested || this.#life.state === 'stopped' || this.#fatal !== undefined
  }

  /** Stops the pipeline for good with `error` (from inside a batch: the stop must not wait for it). */
  #fail(error: KafkitError): void {
    if (this.#fatal !== undefined) return
    this.#fatal = error
    this.#events.emit('pipeline.failed', { groupId: this.groupId, transactionalId: this.transactionalId, error })
    // Nobody awaits this stop: its own failure (the engine's leave or disconnect) must not
    // surface as an unhandled rejection; `done` rejects with the fatal error either way.
    this.stop(`fatal: ${error.code}`).catch(() => {})
  }
}
