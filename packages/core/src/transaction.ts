import type { AnyTopicContract, OutgoingMessage } from './contract.js'
import { type BackoffOptions, backoffDelayMs, defaultBackoff } from './runtime/backoff.js'
import type { EventHub } from './runtime/events.js'
import { sleep } from './runtime/heartbeat.js'
import { KafkitError, isKafkitError } from './errors.js'
import { fencingShownBy, isFencing, toKafkitError, type TransportTransaction, type TransportTransactionalProducer, type WireTopicMessages } from './internal/transport/index.js'
import type { CompressionName, RecordMetadata } from './kafka-types.js'
import type { TransactionEvents } from './transaction-events.js'

/** One topic's share of {@link Transaction.sendBatch}. */
export interface TransactionTopicMessages<C extends AnyTopicContract> {
  topic: C
  messages: readonly OutgoingMessage<C>[]
}

/**
 * The open transaction a `producer.transaction(callback)` callback gets. Everything sent
 * through it is committed together when the callback returns, or aborted when it throws.
 * Sends are queued one after the other (kafkajs cannot run two requests of one transaction
 * at once), so `Promise.all([tx.send(A, a), tx.send(B, b)])` is fine.
 */
export interface Transaction {
  /** The producer's transactional id. */
  readonly transactionalId: string
  /**
   * Sends typed messages to a contract's topic as part of the transaction.
   * @throws KafkitError `KAFKIT_VALIDATION`/`KAFKIT_SERDE_ENCODE` (nothing sent, the
   *   transaction stays usable), `KAFKIT_KAFKA` (the transaction will abort),
   *   `KAFKIT_PRODUCER_FENCED`, `KAFKIT_ABORTED` after the transaction ended
   */
  send<C extends AnyTopicContract>(topic: C, message: OutgoingMessage<C> | readonly OutgoingMessage<C>[]): Promise<RecordMetadata[]>
  /** Sends to several topics in one request; all messages are validated first. */
  sendBatch<const T extends readonly AnyTopicContract[]>(batch: { readonly [I in keyof T]: TransactionTopicMessages<T[I]> }): Promise<RecordMetadata[]>
}

/** Options of one `producer.transaction(callback, options)`. */
export interface TransactionOptions {
  /**
   * Runs the callback again, in a new transaction, when the transaction failed on a
   * transient Kafka error before its commit (the aborted try is invisible to
   * `read_committed` readers). Only safe when the callback has no side effects outside the
   * transaction; `false` to surface the error at once. Errors the callback itself throws
   * and failed commits (outcome unknown) are never retried.
   * @default { attempts: 3, backoff: { initialMs: 200, maxMs: 10_000 } }
   */
  retry?: false | { attempts?: number; backoff?: Partial<BackoffOptions> }
}

/** Encodes a batch of typed messages; provided by the producer. */
export type BatchEncoder = (batch: readonly TransactionTopicMessages<AnyTopicContract>[]) => WireTopicMessages[] | Promise<WireTopicMessages[]>

/** Send settings every transactional write uses. */
export interface TransactionSendSettings {
  compression: CompressionName
  timeoutMs: number
}

// Authorization and SASL failures are not here: the transport maps them to KAFKIT_AUTH, fatal below.
const FATAL_KAFKA_ERRORS = new Set([
  'INVALID_TRANSACTION_TIMEOUT',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
])

/**
 * How a transaction failure is handled: `fenced` (stop for good), `fatal` (surface, never
 * retry: authorization, configuration, records the broker refuses) or `transient` (abort,
 * back off and try again).
 * @internal
 */
export function classifyTransactionError(error: unknown): 'fenced' | 'fatal' | 'transient' {
  // Whichever call met the fencing and whatever wrapped its answer (see isFencing).
  if (isFencing(error)) return 'fenced'
  if (!isKafkitError(error)) return 'fatal'
  if (error.code !== 'KAFKIT_KAFKA') return 'fatal'
  return FATAL_KAFKA_ERRORS.has(String(error.context.kafkaError)) ? 'fatal' : 'transient'
}

/**
 * The clear error of a fenced producer, wrapping the engine's.
 * @internal
 */
export function fencedError(transactionalId: string, cause: unknown): KafkitError {
  const error = toKafkitError(cause, { transactionalId })
  if (error.context.fenced === true) return error
  return new KafkitError(
    'KAFKIT_PRODUCER_FENCED',
    `Producer fenced: another instance registered transactional id '${transactionalId}', so this one may not write any more and stops. ` +
      'Run each instance with its own transactionalId (see docs/transactions.md). ' +
      `Engine: ${error.message}`,
    { cause: error, retriable: false, context: { ...error.context, transactionalId, fenced: true } },
  )
}

/**
 * The error of a commit that failed without an answer: the broker may have committed, so
 * it is never retriable (whatever the engine said, e.g. a timeout) and says so.
 * @internal
 */
export function commitUnknownError(transactionalId: string, error: unknown): KafkitError {
  const engine = isKafkitError(error) ? error : undefined
  const reason = error instanceof Error ? error.message : String(error)
  return new KafkitError(
    engine?.code ?? 'KAFKIT_KAFKA',
    `Commit of the transaction of '${transactionalId}' failed, outcome unknown: the transaction may have committed, ` +
      'so it must not be re-run blindly (check whether its writes are there first). ' +
      `Engine: ${reason}`,
    { cause: error, retriable: false, context: { ...engine?.context, transactionalId, outcome: 'unknown' } },
  )
}

/**
 * An open transaction handed to user code: queues sends one after the other, remembers
 * the first engine failure (which dooms the transaction) and refuses work once ended.
 * @internal
 */
export class OpenTransaction implements Transaction {
  readonly transactionalId: string
  /** The first engine failure: the transaction can only abort now. */
  failure: KafkitError | undefined
  /** How the abort after a failure failed, if it did. */
  abortFailure: unknown
  records = 0
  readonly topics = new Set<string>()
  readonly #txn: TransportTransaction
  readonly #encode: BatchEncoder
  readonly #settings: TransactionSendSettings
  #chain: Promise<unknown> = Promise.resolve()
  #ended = false

  constructor(transactionalId: string, txn: TransportTransaction, encode: BatchEncoder, settings: TransactionSendSettings) {
    this.transactionalId = transactionalId
    this.#txn = txn
    this.#encode = encode
    this.#settings = settings
  }

  send<C extends AnyTopicContract>(topic: C, message: OutgoingMessage<C> | readonly OutgoingMessage<C>[]): Promise<RecordMetadata[]> {
    const messages = Array.isArray(message) ? (message as readonly OutgoingMessage<C>[]) : [message as OutgoingMessage<C>]
    return this.sendBatch([{ topic, messages }] as const)
  }

  sendBatch<const T extends readonly AnyTopicContract[]>(batch: { readonly [I in keyof T]: TransactionTopicMessages<T[I]> }): Promise<RecordMetadata[]> {
    if (this.#ended) {
      return Promise.reject(new KafkitError('KAFKIT_ABORTED', `transaction of '${this.transactionalId}' already ended: await every tx.send() inside the transaction callback`))
    }
    let encoded: WireTopicMessages[] | Promise<WireTopicMessages[]>
    try {
      encoded = this.#encode(batch as readonly TransactionTopicMessages<AnyTopicContract>[])
    } catch (error) {
      // Invalid data: nothing was sent, the transaction goes on (the callback decides).
      return Promise.reject(error)
    }
    return this.sendWire(encoded)
  }

  /** Queues already-encoded records. */
  sendWire(encoded: WireTopicMessages[] | Promise<WireTopicMessages[]>): Promise<RecordMetadata[]> {
    // Nothing awaits an async encode until the queue reaches it: a rejection before then
    // (a registry call failing while an earlier send is in flight) would be unhandled and
    // kill the process. The caller still gets the error, through `op`.
    if (encoded instanceof Promise) encoded.catch(() => {})
    const op = this.#chain.then(async () => {
      const wire = await encoded
      if (this.failure !== undefined) throw this.failure
      if (this.#ended) throw new KafkitError('KAFKIT_ABORTED', `transaction of '${this.transactionalId}' already ended`)
      if (wire.length === 0) return []
      try {
        const written = await this.#txn.send(wire, this.#settings)
        for (const entry of wire) {
          this.records += entry.messages.length
          this.topics.add(entry.topic)
        }
        return written
      } catch (error) {
        this.failure ??= error as KafkitError
        throw error
      }
    })
    this.#chain = op.catch(() => {})
    return op
  }

  /** Adds consumed offsets (queued behind the sends). */
  sendOffsets(groupId: string, offsets: { topic: string; partition: number; offset: string }[]): Promise<void> {
    const op = this.#chain.then(async () => {
      if (this.failure !== undefined) throw this.failure
      try {
        await this.#txn.sendOffsets(groupId, offsets)
      } catch (error) {
        this.failure ??= error as KafkitError
        throw error
      }
    })
    this.#chain = op.catch(() => {})
    return op
  }

  /** Waits for every queued call; throws the transaction's failure if one happened. */
  async settle(): Promise<void> {
    await this.#chain
    if (this.failure !== undefined) throw this.failure
  }

  /** Refuses further sends and waits for the queued ones. */
  async end(): Promise<void> {
    this.#ended = true
    await this.#chain
  }

  commit(): Promise<void> {
    return this.#txn.commit()
  }

  /**
   * Aborts; a failed abort is not an error of its own (the engine re-registers the id), but
   * its answer is kept: an abort refused as fenced says what the failure before it was.
   */
  async abort(): Promise<void> {
    await this.#txn.abort().catch((error: unknown) => {
      this.abortFailure = error
    })
  }

  /** What failed the transaction, `failure` (or the callback's error), as its abort tells it: a fencing when the abort was refused as one. */
  settledFailure(error: unknown): unknown {
    return fencingShownBy(this.failure ?? error, this.abortFailure, { transactionalId: this.transactionalId })
  }
}

/**
 * Runs `producer.transaction` callbacks one at a time on one transactional producer:
 * begin, callback, commit; abort and rethrow when the callback throws; retry transient
 * failures; stop for good once fenced.
 * @internal
 */
export class TransactionRunner {
  readonly #producer: TransportTransactionalProducer
  readonly #encode: BatchEncoder
  readonly #settings: TransactionSendSettings
  readonly #events: EventHub<TransactionEvents>
  #queue: Promise<unknown> = Promise.resolve()
  #fenced: KafkitError | undefined

  constructor(producer: TransportTransactionalProducer, encode: BatchEncoder, settings: TransactionSendSettings, events: EventHub<TransactionEvents>) {
    this.#producer = producer
    this.#encode = encode
    this.#settings = settings
    this.#events = events
  }

  get transactionalId(): string {
    return this.#producer.transactionalId
  }

  /** Registers the transactional id (fencing older instances). */
  async init(): Promise<void> {
    try {
      await this.#producer.init()
    } catch (error) {
      if (classifyTransactionError(error) !== 'fenced') throw error
      this.#fenced = fencedError(this.transactionalId, error as KafkitError)
      throw this.#fenced
    }
  }

  /** Waits for the running transaction, then disconnects. */
  async close(): Promise<void> {
    await this.#queue
    await this.#producer.disconnect()
  }

  /**
   * Serialized: a second call waits for the first transaction to end. The callback gets the
   * open transaction itself: `producer.transaction` hands it on as a {@link Transaction}, a
   * replay writes raw records with `sendWire`.
   */
  run<T>(callback: (tx: OpenTransaction) => Promise<T> | T, options: TransactionOptions = {}): Promise<T> {
    if (typeof callback !== 'function') return Promise.reject(new KafkitError('KAFKIT_CONFIG', 'producer.transaction(callback): callback must be a function'))
    const result = this.#queue.then(() => this.#runWithRetry(callback, options))
    this.#queue = result.catch(() => {})
    return result
  }

  async #runWithRetry<T>(callback: (tx: OpenTransaction) => Promise<T> | T, options: TransactionOptions): Promise<T> {
    const retry = options.retry === false ? { attempts: 0, backoff: defaultBackoff } : { attempts: options.retry?.attempts ?? 3, backoff: { ...defaultBackoff, ...options.retry?.backoff } }
    for (let attempt = 1; ; attempt++) {
      if (this.#fenced !== undefined) throw this.#fenced
      const outcome = await this.#once(callback, attempt)
      if (outcome.ok) return outcome.value
      if (outcome.retriable && attempt <= retry.attempts) {
        const delayMs = backoffDelayMs(attempt, retry.backoff)
        outcome.emitAbort?.(delayMs)
        await sleep(delayMs)
        continue
      }
      if (outcome.retriable) outcome.emitAbort?.()
      throw outcome.error
    }
  }

  async #once<T>(
    callback: (tx: OpenTransaction) => Promise<T> | T,
    attempt: number,
  ): Promise<{ ok: true; value: T } | { ok: false; error: unknown; retriable: boolean; emitAbort?: (retryInMs?: number) => void }> {
    const transactionalId = this.transactionalId
    const startedAt = Date.now()
    let txn: TransportTransaction
    try {
      txn = await this.#producer.begin()
    } catch (error) {
      return this.#engineFailure(error, () => {})
    }
    this.#events.emit('producer.txn.begin', { transactionalId, attempt })
    const tx = new OpenTransaction(transactionalId, txn, this.#encode, this.#settings)
    let value: T
    try {
      value = await callback(tx)
      await tx.settle()
    } catch (error) {
      await tx.end()
      await tx.abort()
      // A failed send dooms the transaction whatever the callback made of it; the abort's answer may show it was a fencing.
      const cause = tx.failure === undefined ? error : tx.settledFailure(error)
      const emitAbort = (retryInMs?: number) =>
        this.#events.emit('producer.txn.abort', {
          transactionalId,
          attempt,
          reason: tx.failure === undefined ? 'callback-error' : 'kafka-error',
          errorCode: isKafkitError(cause) ? cause.code : 'KAFKIT_HANDLER',
          errorMessage: cause instanceof Error ? cause.message : String(cause),
          durationMs: Date.now() - startedAt,
          ...(retryInMs === undefined ? {} : { retryInMs }),
        })
      if (tx.failure === undefined) {
        emitAbort()
        return { ok: false, error, retriable: false }
      }
      return this.#engineFailure(cause, emitAbort)
    }
    await tx.end()
    try {
      await tx.commit()
    } catch (error) {
      const kind = classifyTransactionError(error)
      if (kind === 'fenced') return this.#engineFailure(error, () => {})
      // The commit may have happened: running the callback again could write twice.
      const unknown = commitUnknownError(transactionalId, error)
      this.#events.emit('producer.txn.commit-unknown', { transactionalId, error: unknown })
      return { ok: false, error: unknown, retriable: false }
    }
    this.#events.emit('producer.txn.commit', { transactionalId, attempt, records: tx.records, topics: [...tx.topics], durationMs: Date.now() - startedAt })
    return { ok: true, value }
  }

  #engineFailure(error: unknown, emitAbort: (retryInMs?: number) => void): { ok: false; error: unknown; retriable: boolean; emitAbort: (retryInMs?: number) => void } {
    const kind = classifyTransactionError(error)
    if (kind === 'fenced') {
      const fenced = fencedError(this.transactionalId, error as KafkitError)
      this.#fenced = fenced
      emitAbort()
      this.#events.emit('producer.txn.fenced', { transactionalId: this.transactionalId, error: fenced })
      return { ok: false, error: fenced, retriable: false, emitAbort: () => {} }
    }
    const retriable = kind === 'transient' && isKafkitError(error) && error.retriable
    if (!retriable) emitAbort()
    return { ok: false, error, retriable, emitAbort }
  }
}
