import { KafkitError, isKafkitError } from '../errors.js'
import type { ConsumerDeps, ConsumerEngine, EngineBatch } from '../runtime/engine.js'
import { type ConsumerEvents, EventHub } from '../runtime/events.js'
import type { AnyTopicContract } from '../contract.js'
import type { BatchHandler, MessageHandler } from '../runtime/message.js'
import { type ConsumerOptions, type ResolvedConsumerOptions, resolveConsumerOptions } from './options.js'
import { type BatchHandlerOptions, DEFAULT_BATCH_MESSAGES, type FailurePolicyOptions, resolvePolicy } from '../runtime/options.js'
import { retryTopicNames, selectPolicy } from '../runtime/policy.js'
import { processBatch, type Route, type RuntimeContext } from '../runtime/batch.js'
import { Lifecycle, type LifecycleState } from '../runtime/lifecycle.js'
import { watchGroup } from '../runtime/group-watch.js'
import { onSignals } from '../runtime/shutdown.js'

/**
 * A group consumer with typed handlers and a failure policy per handler: retry in place,
 * non-blocking retry topics, dead-letter topic. Made by `kafka.consumer({ groupId })`.
 *
 * @example
 * ```ts
 * const consumer = kafka.consumer({ groupId: 'analytics' })
 * consumer.handle(UserActivity, async ({ key, value, signal }) => { ... }, {
 *   retry: { attempts: 3, backoff: { initialMs: 200, maxMs: 10_000 } },
 *   retryTopics: ['10s', '1m'],
 *   deadLetter: true,
 * })
 * await consumer.start()
 * ```
 */
export class KafkitConsumer {
  readonly #options: ResolvedConsumerOptions
  readonly #deps: ConsumerDeps
  readonly #routes = new Map<string, Route>()
  readonly #events: EventHub
  readonly #inFlight = new Set<AbortController>()
  readonly #resumeTimers = new Map<string, NodeJS.Timeout>()
  readonly #life: Lifecycle
  #engine: ConsumerEngine | undefined
  #removeSignals: () => void = () => {}
  #unsubscribeEngine: (() => void)[] = []
  #fatal: KafkitError | undefined
  #settle!: { resolve: () => void; reject: (error: unknown) => void }
  /**
   * Settles when the consumer stopped: resolves after `stop()`, rejects with the
   * `KafkitError` that stopped it otherwise (a failed record that can be neither handled
   * nor written to its retry or dead-letter topic, the error naming topic, partition and
   * offset; or an engine crash it does not restart from, such as rejected credentials, after
   * which the consumer releases its connections), or with the error of a failed `start()`.
   */
  readonly done: Promise<void>

  /**
   * @internal Use `kafka.consumer(options)`.
   * @throws KafkitError `KAFKIT_CONFIG` naming every invalid option path
   */
  constructor(deps: ConsumerDeps, options: ConsumerOptions) {
    this.#options = resolveConsumerOptions(options)
    this.#deps = deps
    this.#life = new Lifecycle(`consumer ${this.#options.groupId}`)
    this.done = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }))
    // Awaiting `done` is optional: an unobserved failure must not crash the process on its own.
    this.done.catch(() => {})
    this.#events = new EventHub((error) => process.emitWarning(`kafkit consumer event listener threw: ${String(error)}`))
  }

  /** The consumer group. */
  get groupId(): string {
    return this.#options.groupId
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof ConsumerEvents>(name: K, listener: (payload: ConsumerEvents[K]) => void): () => void {
    return this.#events.on(name, listener)
  }

  /**
   * Handles each message of `contract`'s topic, in order within a partition. `policy`
   * overrides the consumer-wide failure policy part by part.
   * @throws KafkitError `KAFKIT_CONFIG` for invalid policy options, a topic handled twice, or after `start()`
   */
  handle<C extends AnyTopicContract>(contract: C, handler: MessageHandler<C>, policy?: FailurePolicyOptions): this {
    return this.#addRoute(contract, { kind: 'message', fn: handler as unknown as MessageHandler<AnyTopicContract> }, policy)
  }

  /**
   * Handles messages of `contract`'s topic several at a time: consecutive messages of one
   * partition, in order, at most `options.maxMessages` (default 100) per call. A failure
   * applies to the whole call (retried, forwarded or dead-lettered together); poison records
   * are taken out before the handler sees them. `options` overrides the consumer-wide failure
   * policy part by part, as in {@link handle}.
   * @throws KafkitError `KAFKIT_CONFIG` for invalid options (maxMessages not an integer ≥ 1), a topic handled twice, or after `start()`
   */
  handleBatch<C extends AnyTopicContract>(contract: C, handler: BatchHandler<C>, options: BatchHandlerOptions = {}): this {
    const { maxMessages = DEFAULT_BATCH_MESSAGES, ...policy } = options
    if (!Number.isSafeInteger(maxMessages) || maxMessages < 1) {
      throw new KafkitError('KAFKIT_CONFIG', `handleBatch(${contract?.name}).maxMessages must be an integer ≥ 1, got ${String(maxMessages)}`, { context: { topic: contract?.name } })
    }
    return this.#addRoute(contract, { kind: 'batch', fn: handler as unknown as BatchHandler<AnyTopicContract>, maxMessages }, policy)
  }

  #addRoute(contract: AnyTopicContract, handler: Route['handler'], policyOptions?: FailurePolicyOptions): this {
    if (this.#life.state !== 'idle') throw new KafkitError('KAFKIT_CONFIG', 'handlers must be added before start()')
    if (typeof handler.fn !== 'function') throw new KafkitError('KAFKIT_CONFIG', `handler for ${contract?.name} must be a function`)
    if (this.#routes.has(contract.name)) throw new KafkitError('KAFKIT_CONFIG', `topic ${contract.name} already has a handler`, { context: { topic: contract.name } })
    if (contract.transactional === true && this.#options.isolationLevel === 'read_uncommitted') {
      throw new KafkitError('KAFKIT_CONFIG', `topic ${contract.name} is written in transactions (transactional: true): its consumer needs isolationLevel 'read_committed'`, { context: { topic: contract.name } })
    }
    const settings = resolvePolicy(policyOptions, this.#options.policy, `handle(${contract.name}).`)
    const policy = selectPolicy(settings)
    this.#routes.set(contract.name, { contract, tier: -1, handler, policy, settings })
    retryTopicNames(contract.name, settings.retryTopics, this.#options.groupId).forEach((topic, tier) => {
      if (this.#routes.has(topic)) throw new KafkitError('KAFKIT_CONFIG', `retry topic ${topic} is also handled directly`, { context: { topic } })
      this.#routes.set(topic, { contract, tier, handler, policy, settings })
    })
    return this
  }

  /**
   * Creates missing retry and dead-letter topics, joins the group and starts handling.
   * Resolves once the consumer runs. A `start()` that fails leaves nothing connected.
   * @throws KafkitError `KAFKIT_CONFIG` without handlers or when called twice, `KAFKIT_ABORTED`
   *   when `stop()` was called before it finished, `KAFKIT_KAFKA`/`KAFKIT_AUTH` from the cluster
   *   (a topic the principal may not describe, or a group it may not use: `KAFKIT_AUTH` naming
   *   it and the ACL missing, `context.topic`/`context.groupId`; a topic it may describe but not
   *   read is refused once it joined, and `done` rejects with that)
   */
  async start(): Promise<void> {
    if (this.#routes.size === 0 && this.#life.state === 'idle') throw new KafkitError('KAFKIT_CONFIG', 'no handler: call handle() before start()')
    const o = this.#options
    const life = this.#life
    const started = life.start(
      async () => {
        await this.#ensureTopics()
        life.checkpoint()
        const engine = this.#deps.createEngine({
          groupId: o.groupId,
          sessionTimeoutMs: o.sessionTimeoutMs,
          heartbeatIntervalMs: o.heartbeatIntervalMs,
          rebalanceTimeoutMs: o.rebalanceTimeoutMs,
          maxWaitTimeMs: o.maxWaitTimeMs,
          partitionsConcurrently: o.partitionsConcurrently,
          isolationLevel: o.isolationLevel,
        })
        this.#engine = engine
        this.#unsubscribeEngine = [
          watchGroup(engine, o.groupId, this.#events),
          engine.on('crash', (error, restart) => {
            // A crash the engine does not restart from ends the consumer: `done` rejects, health says crashed.
            if (restart) this.#events.emit('consumer.crash', { groupId: o.groupId, error, restart })
            else this.#fail(isKafkitError(error) ? error : new KafkitError('KAFKIT_KAFKA', `consumer ${o.groupId} crashed: ${String(error)}`, { cause: error }))
          }),
        ]
        await engine.connect()
        life.checkpoint()
        const sources: string[] = []
        const retries: string[] = []
        for (const [topic, route] of this.#routes) (route.tier < 0 ? sources : retries).push(topic)
        await engine.subscribe(sources, o.fromBeginning)
        life.checkpoint()
        // A retry topic is read from its start by a new group: what waits there is owed a retry.
        if (retries.length > 0) await engine.subscribe(retries, true)
        life.checkpoint()
        const ctx = this.#runtimeContext()
        await engine.run((batch: EngineBatch) => {
          const route = this.#routes.get(batch.topic)
          return route ? processBatch(batch, route, ctx) : Promise.resolve()
        })
      },
      {
        undo: () => this.#release(),
        onRunning: () => {
          if (o.shutdown) this.#removeSignals = onSignals(o.shutdown.signals, (reason) => this.stop(reason))
          this.#events.emit('consumer.started', { groupId: o.groupId, topics: [...this.#routes.keys()] })
        },
      },
    )
    // A start that failed on its own (not stopped meanwhile) is how this consumer ended.
    started.catch((error: unknown) => {
      if (!life.stopRequested && life.state === 'stopped') this.#settle.reject(error)
    })
    try {
      await started
    } catch (error) {
      // The engine gave up while the start was finishing (it could not join the group):
      // its error, not "stopped while it started", is why the start failed.
      throw this.#fatal ?? error
    }
  }

  /**
   * Stops gracefully: no new fetches, in-flight handlers get `shutdown.timeoutMs` to
   * finish (then their signal aborts), finished offsets are committed, the group is left
   * and the connection closed. Safe to call more than once.
   */
  stop(reason = 'stop()'): Promise<void> {
    return this.#life.stop((previous) => this.#stop(reason, previous))
  }

  /** Same as {@link stop}; lets `kafka.close()` stop every consumer it made. */
  disconnect(): Promise<void> {
    return this.stop('disconnect()')
  }

  async #stop(reason: string, previous: LifecycleState): Promise<void> {
    this.#removeSignals()
    for (const timer of this.#resumeTimers.values()) clearTimeout(timer)
    this.#resumeTimers.clear()
    this.#events.emit('consumer.stopping', { groupId: this.groupId, reason, inFlight: this.#inFlight.size })
    const timeoutMs = this.#options.shutdown ? this.#options.shutdown.timeoutMs : 30_000
    let aborted = 0
    const timer = setTimeout(() => {
      aborted = this.#inFlight.size
      const why = new KafkitError('KAFKIT_ABORTED', `consumer ${this.groupId} stopping (${reason}): handler did not finish within ${timeoutMs} ms`)
      for (const controller of this.#inFlight) controller.abort(why)
    }, timeoutMs)
    try {
      if (this.#engine && previous === 'running') await this.#engine.stop()
    } finally {
      clearTimeout(timer)
      // A start that failed or was stopped released everything already.
      if (previous !== 'stopped') await this.#release()
      this.#events.emit('consumer.stopped', { groupId: this.groupId, aborted })
      if (this.#fatal === undefined) this.#settle.resolve()
      else this.#settle.reject(this.#fatal)
    }
  }

  /** Stops the consumer for good with `error`, visibly: crash event (health: not live), `done` rejects. */
  #fail(error: KafkitError): void {
    if (this.#fatal !== undefined) return
    this.#fatal = error
    this.#events.emit('consumer.crash', { groupId: this.groupId, error, restart: false })
    // Nobody awaits this stop: its own failure (the engine's leave or disconnect) must not
    // surface as an unhandled rejection; `done` rejects with the fatal error either way.
    this.stop(`fatal: ${error.code}`).catch(() => {})
  }

  /** Leaves the group, closes the engine and releases what the consumer owns; once. */
  async #release(): Promise<void> {
    for (const unsubscribe of this.#unsubscribeEngine) unsubscribe()
    this.#unsubscribeEngine = []
    try {
      await this.#engine?.disconnect()
    } finally {
      await this.#deps.release?.()
    }
  }

  #runtimeContext(): RuntimeContext {
    return {
      groupId: this.groupId,
      events: this.#events,
      sink: this.#deps.sender,
      heartbeatIntervalMs: this.#options.heartbeatIntervalMs,
      ...(this.#deps.aroundHandler === undefined ? {} : { aroundHandler: this.#deps.aroundHandler }),
      ...(this.#deps.handlerTiming === undefined ? {} : { handlerTiming: this.#deps.handlerTiming }),
      inFlight: this.#inFlight,
      isStopping: () => this.#life.stopRequested || this.#life.state === 'stopped',
      now: () => Date.now(),
      fail: (error) => this.#fail(error),
      resumeAt: (topic, partition, dueAt, resume) => {
        const key = `${topic}:${partition}`
        clearTimeout(this.#resumeTimers.get(key))
        const timer = setTimeout(() => {
          this.#resumeTimers.delete(key)
          if (this.#life.state === 'running') resume()
        }, Math.max(0, dueAt - Date.now()))
        this.#resumeTimers.set(key, timer)
      },
    }
  }

  /** Retry and dead-letter topics get the source topic's partition count and replication factor. */
  async #ensureTopics(): Promise<void> {
    type Spec = { name: string; partitions?: number; replicationFactor?: number }
    const wanted = new Map<string, Spec>()
    for (const [topic, route] of this.#routes) {
      const source = await this.#deps.topics.describe(route.contract.name)
      const spec = (name: string): Spec => (source ? { name, partitions: source.partitions, replicationFactor: source.replicationFactor } : { name })
      if (route.tier >= 0) wanted.set(topic, spec(topic))
      if (route.settings.deadLetter) {
        const dlq = route.settings.deadLetter.topic(route.contract.name)
        wanted.set(dlq, spec(dlq))
      }
    }
    if (wanted.size > 0) await this.#deps.topics.ensureTopics([...wanted.values()])
  }
}
