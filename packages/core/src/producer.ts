import { z } from 'zod'
import type { AnyTopicContract, OutgoingMessage } from './contract.js'
import { EventHub } from './runtime/events.js'
import { KafkitError } from './errors.js'
import { ms, parseOptions } from './internal/options.js'
import { encodeRecords } from './internal/record.js'
import { createTransactionalProducer, DEFAULT_MAX_QUEUED_BYTES, type Transport, type TransportProducer, type WireMessage, type WireTopicMessages } from './internal/transport/index.js'
import type { CompressionName, PartitionDeliveryReport, RecordMetadata } from './kafka-types.js'
import { createDefaultPartitioner, type Partitioner } from './partitioner.js'
import type { TransactionEvents } from './transaction-events.js'
import { type Transaction, type TransactionOptions, TransactionRunner } from './transaction.js'

export type { CompressionName, RecordMetadata }
export type { PartitionDeliveryReport, RecordOutcome } from './kafka-types.js'

/** Options of `kafka.producer(options)`. Validated when the producer is built. */
export interface ProducerOptions {
  /**
   * Idempotent writes: the broker drops duplicates a retry would otherwise create, and keeps
   * each partition in send order. Costs one extra request at connect (a producer id) and
   * requires `acks: 'all'`. Each partition has one batch in flight at a time, and records
   * sent while it is in flight go together in the next batch. Set `false`
   * (and choose `acks`) for fire-and-forget telemetry.
   * @default true
   */
  idempotent?: boolean
  /**
   * How many replicas must have a record before a send resolves: `'all'` (every in-sync
   * replica; no loss while one survives, at the latency of the slowest), `1` (the leader
   * only) or `0` (no answer awaited). Anything but `'all'` needs `idempotent: false`.
   * @default 'all'
   */
  acks?: 'all' | 1 | 0
  /**
   * Compression of record batches. gzip is built in; snappy, lz4 and zstd codecs ship with
   * kafkit. Consumers in any language read all four.
   * @default 'none'
   */
  compression?: CompressionName
  /**
   * Picks the partition of a record without an explicit `partition`.
   * @default murmur2 of the key as the Java client does; round-robin without a key
   */
  partitioner?: Partitioner
  /**
   * Let the broker create a missing topic on first send (with broker defaults, not the
   * contract's settings). Off, a send to a missing topic fails; create topics with
   * `admin().ensureTopics(...)`.
   * @default false
   */
  allowAutoTopicCreation?: boolean
  /** How long the broker may wait for the acks before failing the write. @default 30_000 */
  ackTimeoutMs?: number
  /**
   * Upper bound on the time from `send` to the acknowledgement of its records, retries
   * included (Java's `delivery.timeout.ms`). Within it, retriable failures (a leader
   * failover, a broker down, not enough in-sync replicas, a lost connection) are retried in
   * order, so a failover that leaves a quorum up costs latency, not an error. Past it the
   * send fails, saying per partition what was written (see docs/production.md, "Delivery
   * guarantees").
   * @default 120_000
   */
  deliveryTimeoutMs?: number
  /**
   * Bytes of keys, values and headers the producer holds for sends not yet settled (queued,
   * in flight or retried), as the Java client's `buffer.memory`. A send that would go past it
   * waits for room, in call order, within its `deliveryTimeoutMs`, then fails `not-written`
   * (`KAFKIT_KAFKA`, `context.reason: 'buffer-full'`): while the cluster is slow or down,
   * memory stays bounded and callers are slowed down instead. A single send larger than the
   * bound goes when nothing else is held.
   * @default 33_554_432 (32 MiB)
   */
  maxQueuedBytes?: number
  /**
   * Produce requests in flight per broker. A partition never has more than one batch in
   * flight, whatever this says, so order and idempotence hold at any value.
   * @default 1 when idempotent, else 5
   */
  maxInFlightRequests?: number
  /**
   * Makes the producer transactional: {@link KafkitProducer.transaction} works, plain
   * `send` does not. The id names one producer *instance* across restarts: a new instance
   * registering the same id fences the old one (its writes fail with
   * `KAFKIT_PRODUCER_FENCED`) and aborts what it left open. Derive it from something
   * stable and unique per instance, e.g. the pod name of a StatefulSet
   * (`orders-${process.env.HOSTNAME}`); never share one between live instances. Needs
   * idempotence and one request in flight per broker, which kafkit sets. See docs/transactions.md.
   */
  transactionalId?: string
  /** How long the broker lets a transaction stay open before aborting it. @default 60_000 */
  transactionTimeoutMs?: number
}

const producerOptionsSchema = z
  .strictObject({
    idempotent: z.boolean().default(true),
    acks: z.union([z.literal('all'), z.literal(1), z.literal(0)]).default('all'),
    compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'),
    partitioner: z.custom<Partitioner>((value) => typeof value === 'function', 'must be a function').optional(),
    allowAutoTopicCreation: z.boolean().default(false),
    ackTimeoutMs: ms().default(30_000),
    deliveryTimeoutMs: ms().default(120_000),
    maxQueuedBytes: z.number().int().positive().default(DEFAULT_MAX_QUEUED_BYTES),
    maxInFlightRequests: z.number().int().positive().optional(),
    transactionalId: z.string().min(1).max(255).optional(),
    transactionTimeoutMs: ms().default(60_000),
  })
  .superRefine((options, check) => {
    if (options.idempotent && options.acks !== 'all') {
      check.addIssue({ code: 'custom', path: ['acks'], message: "must be 'all' for an idempotent producer (set idempotent: false to use 1 or 0)" })
    }
    if (options.idempotent && options.maxInFlightRequests !== undefined && options.maxInFlightRequests > 5) {
      check.addIssue({ code: 'custom', path: ['maxInFlightRequests'], message: 'must be at most 5 for an idempotent producer' })
    }
    if (options.deliveryTimeoutMs < options.ackTimeoutMs) {
      check.addIssue({ code: 'custom', path: ['deliveryTimeoutMs'], message: `must be at least ackTimeoutMs (${options.ackTimeoutMs})` })
    }
    if (options.transactionalId !== undefined) {
      if (!options.idempotent) check.addIssue({ code: 'custom', path: ['idempotent'], message: 'must be true for a transactional producer' })
      if (options.maxInFlightRequests !== undefined && options.maxInFlightRequests !== 1) {
        check.addIssue({ code: 'custom', path: ['maxInFlightRequests'], message: 'must be 1 for a transactional producer' })
      }
    }
  })

/** One topic's share of {@link KafkitProducer.sendBatch}. */
export interface TopicMessages<C extends AnyTopicContract> {
  topic: C
  messages: readonly OutgoingMessage<C>[]
}

/**
 * A typed producer. Messages are checked against their contract before anything is
 * written: an invalid message throws a `KafkitError` and nothing of the call is sent.
 * Connects on first send; call {@link KafkitProducer.disconnect} (or `kafka.close()`) at
 * shutdown.
 */
export class KafkitProducer {
  readonly #engine: TransportProducer
  readonly #transactions: TransactionRunner | undefined
  readonly #events = new EventHub<TransactionEvents>((error) => process.emitWarning(`kafkit producer event listener threw: ${String(error)}`))
  readonly #acks: -1 | 0 | 1
  readonly #compression: CompressionName
  readonly #ackTimeoutMs: number
  #connecting: Promise<void> | undefined
  #closed = false
  /** Per topic: sends not yet handed to the engine behind an async encode, and the hand-off of the last of them. */
  readonly #encoding = new Map<string, { pending: number; handoff: Promise<void> }>()

  /** @internal Use `kafka.producer(options)`. */
  constructor(transport: Transport, options: ProducerOptions = {}) {
    const parsed = parseOptions('producer', producerOptionsSchema, options)
    this.#acks = parsed.acks === 'all' ? -1 : parsed.acks
    this.#compression = parsed.compression
    this.#ackTimeoutMs = parsed.ackTimeoutMs
    this.#engine = transport.producer({
      idempotent: parsed.idempotent,
      allowAutoTopicCreation: parsed.allowAutoTopicCreation,
      maxInFlightRequests: parsed.maxInFlightRequests ?? (parsed.idempotent ? 1 : undefined),
      partitioner: parsed.partitioner ?? createDefaultPartitioner(),
      deliveryTimeoutMs: parsed.deliveryTimeoutMs,
      maxQueuedBytes: parsed.maxQueuedBytes,
    })
    if (parsed.transactionalId !== undefined) {
      const engine = createTransactionalProducer(transport, {
        transactionalId: parsed.transactionalId,
        transactionTimeoutMs: parsed.transactionTimeoutMs,
        allowAutoTopicCreation: parsed.allowAutoTopicCreation,
        partitioner: parsed.partitioner ?? createDefaultPartitioner(),
        deliveryTimeoutMs: parsed.deliveryTimeoutMs,
        maxQueuedBytes: parsed.maxQueuedBytes,
      })
      this.#transactions = new TransactionRunner(engine, encodeBatch, { compression: this.#compression, timeoutMs: this.#ackTimeoutMs }, this.#events)
    }
  }

  /**
   * Bytes of keys, values and headers this producer holds for plain sends not yet settled
   * (bounded by `maxQueuedBytes`); a gauge for dashboards. Always 0 for a transactional
   * producer: its transactions' sends are bounded the same way but not counted here.
   */
  get queuedBytes(): number {
    return this.#engine.queuedBytes ?? 0
  }

  /** The transactional id, for a transactional producer. */
  get transactionalId(): string | undefined {
    return this.#transactions?.transactionalId
  }

  /** Subscribes to a transaction event (`producer.txn.commit`, `producer.txn.abort`…); returns the unsubscribe function. */
  on<K extends keyof TransactionEvents>(name: K, listener: (payload: TransactionEvents[K]) => void): () => void {
    return this.#events.on(name, listener)
  }

  /**
   * Runs `callback` in a transaction: everything it sends through `tx` is committed
   * together when it returns (visible at once to `read_committed` readers, on every
   * topic), or aborted when it throws, and the error rethrown. Transactions of one
   * producer run one after the other; sends inside one are queued in call order.
   *
   * @example
   * ```ts
   * const producer = kafka.producer({ transactionalId: `payments-${process.env.HOSTNAME}` })
   * await producer.transaction(async (tx) => {
   *   await tx.send(Orders, order)
   *   await tx.send(Payments, payment)
   * })
   * ```
   * @returns what the callback returned, once committed
   * @throws what the callback threw (after the abort); KafkitError `KAFKIT_PRODUCER_FENCED`
   *   once another instance took the transactional id over (every later call too);
   *   `KAFKIT_KAFKA` when the transaction failed (transient failures before the commit are
   *   retried first, see {@link TransactionOptions.retry}); `KAFKIT_CONFIG` without a `transactionalId`
   */
  transaction<T>(callback: (tx: Transaction) => Promise<T> | T, options?: TransactionOptions): Promise<T> {
    if (this.#closed) return Promise.reject(new KafkitError('KAFKIT_ABORTED', 'The producer is disconnected', { context: { outcome: 'not-written' } }))
    if (this.#transactions === undefined) {
      return Promise.reject(new KafkitError('KAFKIT_CONFIG', 'producer.transaction() needs a transactional producer: kafka.producer({ transactionalId })'))
    }
    return this.#transactions.run(callback, options)
  }

  /** Connects now rather than on the first send (to fail fast at start-up); a transactional producer also registers its id. */
  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new KafkitError('KAFKIT_ABORTED', 'The producer is disconnected', { context: { outcome: 'not-written' } }))
    // A transactional producer registers its id now: an older instance is fenced at start-up.
    this.#connecting ??= (this.#transactions?.init() ?? this.#engine.connect()).catch((error: unknown) => {
      this.#connecting = undefined
      throw error
    })
    return this.#connecting
  }

  /**
   * Sends one message, or several in one request, to a contract's topic.
   *
   * @example
   * ```ts
   * await producer.send(UserActivity, { key: 'u1', value: { userId: 'u1', action: 'login', at: new Date() } })
   * ```
   * @returns where the records landed, one entry per partition written; it resolves only
   *   once every record is acknowledged (retriable failures such as a leader failover are
   *   retried for up to `deliveryTimeoutMs`)
   * @throws KafkitError `KAFKIT_VALIDATION`/`KAFKIT_SERDE_ENCODE` (nothing sent, not
   *   retriable); `KAFKIT_AUTH` (not retriable, at the first refusal) when the principal may
   *   not write the topic, naming it in the message and `context.topic`; `KAFKIT_KAFKA`
   *   from the broker with its retriable verdict, whose
   *   `context.outcome` (`'not-written' | 'partial' | 'unknown'`) and `context.partitions`
   *   ({@link PartitionDeliveryReport}) say what was written
   */
  send<C extends AnyTopicContract>(topic: C, message: OutgoingMessage<C> | readonly OutgoingMessage<C>[]): Promise<RecordMetadata[]> {
    const messages = Array.isArray(message) ? (message as readonly OutgoingMessage<C>[]) : [message as OutgoingMessage<C>]
    return this.sendBatch([{ topic, messages }] as const)
  }

  /**
   * Sends messages to several topics in one call. All messages are encoded first: one
   * invalid message means nothing at all is sent. (Across partitions on different brokers
   * a broker failure can still leave a partial write; use a transaction for all-or-nothing
   * delivery.)
   *
   * @example
   * ```ts
   * await producer.sendBatch([
   *   { topic: Orders, messages: [order] },
   *   { topic: Payments, messages: [payment1, payment2] },
   * ])
   * ```
   * @throws KafkitError as {@link KafkitProducer.send}; validation errors carry the
   *   topic, the message `index` and the zod issue paths
   */
  async sendBatch<const T extends readonly AnyTopicContract[]>(batch: { readonly [I in keyof T]: TopicMessages<T[I]> }): Promise<RecordMetadata[]> {
    if (this.#transactions !== undefined) {
      throw new KafkitError('KAFKIT_CONFIG', `producer '${this.#transactions.transactionalId}' is transactional: send inside producer.transaction(async (tx) => tx.send(...))`)
    }
    const entries = batch as readonly TopicMessages<AnyTopicContract>[]
    const wire = encodeBatch(entries)
    const topics = this.#encoding.size === 0 && !(wire instanceof Promise) ? undefined : topicsOf(entries)
    if (topics === undefined || (!(wire instanceof Promise) && !topics.some((topic) => this.#encoding.has(topic)))) {
      const encoded = wire as WireTopicMessages[]
      if (encoded.length === 0) return []
      await (this.#connecting ?? this.connect())
      return this.#engine.send(encoded, { acks: this.#acks, compression: this.#compression, timeoutMs: this.#ackTimeoutMs })
    }
    return this.#sendInOrder(wire, topics)
  }

  /**
   * Hands records to the engine in the order of the send calls to their topics, also when
   * encoding is async (a registry lookup) and a later send's finishes first: the engine keeps
   * each partition in the order it is handed records, as Java's producer keeps the order of
   * `send()` calls (it serializes inside `send`). A send waits only for earlier sends to one
   * of its topics whose encoding is still async; other topics never wait for a slow one.
   */
  async #sendInOrder(wire: WireTopicMessages[] | Promise<WireTopicMessages[]>, topics: string[]): Promise<RecordMetadata[]> {
    const earlier = topics.map((topic) => this.#encoding.get(topic)?.handoff).filter((p): p is Promise<void> => p !== undefined)
    const before = earlier.length === 0 ? Promise.resolve() : Promise.all(earlier).then(() => {})
    let release!: () => void
    const handoff = new Promise<void>((resolve) => (release = resolve))
    for (const topic of topics) {
      const entry = this.#encoding.get(topic)
      if (entry === undefined) this.#encoding.set(topic, { pending: 1, handoff })
      else {
        entry.pending++
        entry.handoff = handoff
      }
    }
    let handedOff = false
    // Free later sends only once every earlier one was handed to the engine (or failed).
    const done = () => {
      if (handedOff) return
      handedOff = true
      for (const topic of topics) {
        const entry = this.#encoding.get(topic)
        // None pending: every send to the topic is with the engine, later ones take the direct path.
        if (entry !== undefined && --entry.pending === 0) this.#encoding.delete(topic)
      }
      void before.then(release)
    }
    try {
      const encoded = await wire
      await before
      if (encoded.length === 0) return []
      await (this.#connecting ?? this.connect())
      const sent = this.#engine.send(encoded, { acks: this.#acks, compression: this.#compression, timeoutMs: this.#ackTimeoutMs })
      done()
      return await sent
    } finally {
      done()
    }
  }

  /** Waits for in-flight sends' connections and disconnects. Idempotent. */
  async disconnect(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#transactions?.close()
    const connecting = this.#connecting
    this.#connecting = undefined
    if (connecting !== undefined && this.#transactions === undefined) {
      await connecting.catch(() => {})
      await this.#engine.disconnect()
    }
  }
}

/** The topics a batch writes to. */
function topicsOf(batch: readonly TopicMessages<AnyTopicContract>[]): string[] {
  const topics = new Set<string>()
  for (const entry of batch) if (entry.messages.length > 0) topics.add(entry.topic.name)
  return [...topics]
}

/**
 * Encodes every entry (sync when every serde is); throws on the first invalid message.
 * @internal shared with transactions and pipelines
 */
export function encodeBatch(batch: readonly TopicMessages<AnyTopicContract>[]): WireTopicMessages[] | Promise<WireTopicMessages[]> {
  const byTopic = new Map<string, (WireMessage[] | Promise<WireMessage[]>)[]>()
  let async = false
  for (const entry of batch) {
    if (entry.messages.length === 0) continue
    let encoded: WireMessage[] | Promise<WireMessage[]>
    try {
      encoded = encodeRecords(entry.topic, entry.messages)
    } catch (error) {
      // Entries before this one may still be encoding; their outcome no longer matters.
      for (const chunks of byTopic.values()) for (const chunk of chunks) if (chunk instanceof Promise) chunk.catch(() => {})
      throw error
    }
    if (encoded instanceof Promise) async = true
    const list = byTopic.get(entry.topic.name)
    if (list === undefined) byTopic.set(entry.topic.name, [encoded])
    else list.push(encoded)
  }
  const assemble = (parts: Map<string, WireMessage[][]>): WireTopicMessages[] =>
    [...parts].map(([topic, chunks]) => ({ topic, messages: chunks.length === 1 ? chunks[0]! : chunks.flat() }))
  if (!async) return assemble(byTopic as Map<string, WireMessage[][]>)
  return Promise.all([...byTopic].map(async ([topic, chunks]) => [topic, await Promise.all(chunks)] as const)).then((entries) => assemble(new Map(entries)))
}
