import type { ConsumerDeps, ConsumerEngine, EngineBatch, EngineConsumerEvents, RecordSender } from '../../src/runtime/engine.js'
import { EventHub, type ConsumerEvents } from '../../src/runtime/events.js'
import type { ResolvedPolicy } from '../../src/runtime/options.js'
import { resolvePolicy, type FailurePolicyOptions } from '../../src/runtime/options.js'
import { selectPolicy } from '../../src/runtime/policy.js'
import type { OutgoingRecord, RawRecord } from '../../src/runtime/records.js'
import type { Route, RuntimeContext } from '../../src/runtime/batch.js'
import type { AnyTopicContract } from '../../src/contract.js'
import type { MessageHandler } from '../../src/runtime/message.js'

/**
 * A partition batch in kafkit's own engine terms, recording what the runtime did with it:
 * which offsets it resolved (in order) and what else it called.
 */
export class FakeBatch implements EngineBatch {
  readonly resolved: string[] = []
  readonly calls: string[] = []
  running = true
  stale = false
  heartbeatError: unknown
  constructor(readonly topic: string, readonly records: RawRecord[], readonly partition = 0) {}

  resolveOffset(offset: string): void {
    this.resolved.push(offset)
    this.calls.push(`resolve ${offset}`)
  }
  async heartbeat(): Promise<void> {
    if (this.heartbeatError !== undefined) throw this.heartbeatError
  }
  async commitIfNecessary(): Promise<void> {
    this.calls.push('commit')
  }
  pause(): () => void {
    this.calls.push('pause')
    return () => void this.calls.push('resume')
  }
  isRunning(): boolean {
    return this.running
  }
  isStale(): boolean {
    return this.stale
  }
}

/** Raw records `offsets` of one partition, value = the given text. */
export function records(topic: string, values: string[], first = 0): RawRecord[] {
  return values.map((value, i) => ({ topic, partition: 0, offset: String(first + i), timestamp: '1700000000000', key: null, value: Buffer.from(value), headers: {} }))
}

/**
 * A record sender whose writes are settled by the test: each `send` waits until
 * `ack()`/`fail()` is called (or, with `auto`, answers at once).
 */
export class FakeSender implements RecordSender {
  readonly sent: OutgoingRecord[][] = []
  readonly attempts: OutgoingRecord[][] = []
  auto: 'ack' | ((records: OutgoingRecord[], attempt: number) => unknown) | undefined = 'ack'
  #pending: { resolve: () => void; reject: (error: unknown) => void }[] = []
  #waiters: (() => void)[] = []

  async send(records: OutgoingRecord[]): Promise<void> {
    this.attempts.push(records)
    if (this.auto === 'ack') {
      this.sent.push(records)
      return
    }
    if (typeof this.auto === 'function') {
      const error = this.auto(records, this.attempts.length)
      if (error !== undefined) throw error
      this.sent.push(records)
      return
    }
    await new Promise<void>((resolve, reject) => {
      this.#pending.push({ resolve: () => (this.sent.push(records), resolve()), reject })
      for (const wake of this.#waiters.splice(0)) wake()
    })
  }

  /** Resolves once a write waits for its answer. */
  async writeWaiting(): Promise<void> {
    if (this.#pending.length > 0) return
    await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  ack(): void {
    this.#pending.shift()?.resolve()
  }
  fail(error: unknown): void {
    this.#pending.shift()?.reject(error)
  }
}

/** A route for `contract` handled by `fn`, with the policy `options` resolve to. */
export function routeOf(contract: AnyTopicContract, fn: MessageHandler<AnyTopicContract>, options: FailurePolicyOptions = {}, tier = -1): Route {
  const settings: ResolvedPolicy = resolvePolicy(options)
  return { contract, tier, handler: { kind: 'message', fn }, policy: selectPolicy(settings), settings }
}

/** A runtime context over `sender`, recording every event by name. */
export function contextOf(sender: RecordSender, over: Partial<RuntimeContext> = {}): RuntimeContext & { log: { name: keyof ConsumerEvents; payload: unknown }[] } {
  const events = new EventHub()
  const log: { name: keyof ConsumerEvents; payload: unknown }[] = []
  const emit = events.emit.bind(events)
  events.emit = (name, payload) => {
    log.push({ name, payload })
    emit(name, payload)
  }
  return {
    groupId: 'g1',
    events,
    sink: sender,
    heartbeatIntervalMs: 60_000,
    inFlight: new Set(),
    isStopping: () => false,
    resumeAt: () => {},
    now: () => Date.now(),
    fail: (error) => void log.push({ name: 'fail' as keyof ConsumerEvents, payload: error }),
    ...over,
    log,
  }
}

/** A promise the test settles: `open()` lets whoever waits on it go on, `break(error)` fails it. */
export class Gate {
  readonly promise: Promise<void>
  open!: () => void
  break!: (error: unknown) => void
  constructor() {
    this.promise = new Promise((resolve, reject) => ((this.open = resolve), (this.break = reject)))
  }
}

/**
 * A consumer engine in kafkit's terms that records its calls; `gates[step]` makes a step
 * wait for the test, `failures[step]` makes it throw.
 */
export class FakeEngine implements ConsumerEngine {
  readonly calls: string[] = []
  readonly gates: Partial<Record<'connect' | 'subscribe' | 'run', Gate>> = {}
  readonly failures: Partial<Record<'connect' | 'subscribe' | 'run', unknown>> = {}
  eachBatch: ((batch: EngineBatch) => Promise<void>) | undefined

  async #step(name: 'connect' | 'subscribe' | 'run'): Promise<void> {
    this.calls.push(name)
    await this.gates[name]?.promise
    if (this.failures[name] !== undefined) throw this.failures[name]
  }
  connect(): Promise<void> {
    return this.#step('connect')
  }
  subscribe(): Promise<void> {
    return this.#step('subscribe')
  }
  async run(eachBatch: (batch: EngineBatch) => Promise<void>): Promise<void> {
    this.eachBatch = eachBatch
    await this.#step('run')
  }
  async stop(): Promise<void> {
    this.calls.push('stop')
  }
  async disconnect(): Promise<void> {
    this.calls.push('disconnect')
  }
  readonly #listeners = new Map<string, Set<(...args: never[]) => void>>()
  on<K extends keyof EngineConsumerEvents>(event: K, listener: EngineConsumerEvents[K]): () => void {
    const set = this.#listeners.get(event) ?? new Set()
    this.#listeners.set(event, set)
    set.add(listener as (...args: never[]) => void)
    return () => void set.delete(listener as (...args: never[]) => void)
  }
  /** Emits an engine event to its listeners, as the engine would. */
  emit<K extends keyof EngineConsumerEvents>(event: K, ...args: Parameters<EngineConsumerEvents[K]>): void {
    for (const listener of this.#listeners.get(event) ?? []) (listener as (...a: Parameters<EngineConsumerEvents[K]>) => void)(...args)
  }
}

/** Consumer deps over one {@link FakeEngine}; `released` counts `release()` calls. */
export function consumerDeps(engine: FakeEngine, sender: RecordSender = new FakeSender()): ConsumerDeps & { released: number } {
  const deps = {
    released: 0,
    createEngine: () => engine,
    sender,
    topics: { ensureTopics: async () => {}, describe: async () => undefined },
    release: async () => void deps.released++,
  }
  return deps
}

/**
 * The unhandled rejections Node reports while `fn` runs and for one turn of the event loop
 * after it (Node reports an unobserved rejection once the microtasks ran).
 */
export async function unhandledRejectionsDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => void unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    await fn()
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
  return unhandled
}
