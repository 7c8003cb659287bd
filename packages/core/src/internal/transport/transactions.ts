import { KafkitError } from '../../errors.js'
import { COMPRESSION } from './compression.js'
import { Delivery } from './delivery.js'
import { deliveryError, deliveryLog, MAX_BATCH_BYTES } from './delivery-producer.js'
import { abortTransaction, createCluster, createTransactionManager, type EngineCluster, type EngineEosManager } from './engine-internals.js'
import { bounded } from '../bounded.js'
import { fencingShownBy, hasEngineErrorType, isFencing, toKafkitError } from './errors.js'
import { TransactionalIdentity } from './identity.js'
import type { KafkajsTransport } from './kafkajs.js'
import type { RecordMetadata, TransportSendOptions, TransportTransaction, TransportTransactionalOptions, TransportTransactionalProducer, WireTopicMessages } from './types.js'

/**
 * A transactional producer: kafkajs' transaction manager (InitProducerId, AddPartitionsToTxn,
 * AddOffsetsToTxn, TxnOffsetCommit, EndTxn) for the coordinator, kafkit's {@link Delivery} for
 * the records. kafkajs' manager cannot leave a failed commit or abort (its state stays
 * `COMMITTING` / `ABORTING`), and a transaction whose batch failed leaves its sequences in
 * doubt, so after either the whole engine is dropped and a new one registers the same
 * transactional id: the broker then finishes whatever was left open before it answers, and
 * the new epoch starts every partition at sequence 0.
 */
export function createTransactionalProducer(transport: KafkajsTransport, options: TransportTransactionalOptions): TransportTransactionalProducer {
  return new KafkajsTransactionalProducer(transport, options)
}

interface Engine {
  cluster: EngineCluster
  manager: EngineEosManager
  identity: TransactionalIdentity
  delivery: Delivery
}

// How long the abort that probes a failed commit for a fencing may take (see #probeAbort).
const PROBE_TIMEOUT_MS = 5_000

// Right after a commit the coordinator answers the next transaction's first request with
// CONCURRENT_TRANSACTIONS until its markers are written (milliseconds): retry from 20 ms, as
// the Java client does. The coordinator moving is retried the same way.
const COORDINATOR_RETRIABLE = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR', 'NOT_COORDINATOR_FOR_GROUP', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION'])

class KafkajsTransactionalProducer implements TransportTransactionalProducer {
  readonly transactionalId: string
  readonly #transport: KafkajsTransport
  readonly #options: TransportTransactionalOptions
  #ready: Promise<Engine> | undefined
  #closed = false

  constructor(transport: KafkajsTransport, options: TransportTransactionalOptions) {
    this.#transport = transport
    this.#options = options
    this.transactionalId = options.transactionalId
  }

  async init(): Promise<void> {
    await this.#engine()
  }

  #engine(): Promise<Engine> {
    if (this.#closed) return Promise.reject(new KafkitError('KAFKIT_ABORTED', `transactional producer ${this.transactionalId} is disconnected`))
    this.#ready ??= this.#create().catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  async #create(): Promise<Engine> {
    const client = this.#transport.engine
    const config = this.#transport.config
    const cluster = createCluster(client, { allowAutoTopicCreation: this.#options.allowAutoTopicCreation })
    try {
      await cluster.connect()
      const manager = createTransactionManager(client, cluster, { transactionalId: this.transactionalId, transactionTimeoutMs: this.#options.transactionTimeoutMs })
      // Registers the id now: an older instance is fenced, and what it left open is finished, before we consume anything.
      // The coordinator answers CONCURRENT_TRANSACTIONS until the previous holder's markers are
      // written, which takes as long as a partition leader of its transaction is away: kafkajs'
      // retries (about 9 s) give up long before that, so this waits as long as this producer's
      // writes may (the budget Delivery gets below; a replay's is its timeoutMs), or until disconnect().
      const register = () => (this.#closed ? Promise.reject(new KafkitError('KAFKIT_ABORTED', `transactional producer ${this.transactionalId} is disconnected`)) : manager.initProducerId())
      await retryCoordinator(register, Date.now() + Math.min(this.#options.deliveryTimeoutMs, this.#options.transactionTimeoutMs))
      const identity = new TransactionalIdentity({ producerId: manager.getProducerId(), epoch: manager.getProducerEpoch() })
      const delivery = new Delivery({
        cluster,
        partitioner: this.#options.partitioner,
        identity,
        transactionalId: this.transactionalId,
        // A transaction's writes can wait no longer than the broker lets it stay open.
        deliveryTimeoutMs: Math.min(this.#options.deliveryTimeoutMs, this.#options.transactionTimeoutMs),
        requestTimeoutMs: config.requestTimeoutMs,
        maxInFlightRequests: 1,
        maxBatchBytes: MAX_BATCH_BYTES,
        ...(this.#options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: this.#options.maxQueuedBytes }),
        unknownTopicRetries: config.retry.retries,
        log: deliveryLog(config, { transactionalId: this.transactionalId }),
      })
      return { cluster, manager, identity, delivery }
    } catch (error) {
      await cluster.disconnect().catch(() => {})
      throw toKafkitError(error, this.#context(), 'Transactional producer init')
    }
  }

  #context() {
    return { transactionalId: this.transactionalId }
  }

  async begin(): Promise<TransportTransaction> {
    let engine = await this.#engine()
    if (engine.identity.broken) {
      // A batch of the last transaction failed: its sequences are in doubt, so a new epoch first.
      await this.reset()
      engine = await this.#engine()
    }
    try {
      engine.manager.beginTransaction()
    } catch (error) {
      await this.reset()
      throw toKafkitError(error, this.#context(), 'Begin transaction')
    }
    const context = this.#context()
    const { manager, delivery } = engine
    const deadline = () => Date.now() + this.#options.deliveryTimeoutMs
    const write = async (batch: WireTopicMessages[], options: Omit<TransportSendOptions, 'acks'>): Promise<RecordMetadata[]> => {
      try {
        return await delivery.send(batch, { acks: -1, ackTimeoutMs: options.timeoutMs, compression: COMPRESSION[options.compression] }, (partitions) => {
          const byTopic = new Map<string, { partition: number }[]>()
          for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition }])
          const topicData = [...byTopic].map(([topic, list]) => ({ topic, partitions: list }))
          return retryCoordinator(() => manager.addPartitionsToTransaction(topicData), deadline())
        })
      } catch (error) {
        throw deliveryError(error, batch, context, 'Transactional send')
      }
    }
    // Instrumentation (trace headers, produce metrics) sees transactional writes as any other.
    const intercept = this.#transport.config.interceptSend
    return {
      send: (batch, options) => (intercept ? intercept(batch, () => write(batch, options)) : write(batch, options)),
      sendOffsets: async (groupId, offsets) => {
        const byTopic = new Map<string, { partition: number; offset: string }[]>()
        for (const { topic, partition, offset } of offsets) {
          const list = byTopic.get(topic) ?? []
          list.push({ partition, offset })
          byTopic.set(topic, list)
        }
        try {
          const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
          await retryCoordinator(() => manager.sendOffsets({ consumerGroupId: groupId, topics }), deadline())
        } catch (error) {
          throw toKafkitError(error, { ...context, groupId }, 'Transactional offset commit')
        }
      },
      commit: async () => {
        if (engine.identity.broken) {
          // Never commit a transaction that lost a batch: abort it instead, and say so.
          await this.#abortQuietly(engine)
          throw new KafkitError('KAFKIT_KAFKA', 'Commit transaction refused: a send of this transaction failed, so it was aborted', { retriable: true, context })
        }
        try {
          await manager.commit()
        } catch (error) {
          // A commit that failed without saying fenced may still have met a fencing: a lost request
          // or answer says nothing, and a coordinator fencing the epoch leaves its lock between the
          // fence and its abort, where a commit can only fail unexpectedly. An abort of the same
          // epoch tells (see abortTransaction).
          const abortFailure = isFencing(error) ? undefined : await this.#probeAbort(engine)
          // The broker may or may not have committed; a new registration of the id settles it.
          await this.reset()
          const failure = toKafkitError(error, { ...context, outcome: 'unknown' }, 'Commit transaction')
          throw fencingShownBy(failure, abortFailure, { transactionalId: this.transactionalId })
        }
      },
      abort: async () => {
        try {
          await manager.abort()
        } catch (error) {
          await this.reset()
          throw toKafkitError(error, context, 'Abort transaction')
        }
      },
    }
  }

  /** The error of an abort of the engine's epoch sent past its manager, or undefined when it went through; bounded, it never throws. */
  async #probeAbort(engine: Engine): Promise<unknown> {
    // A probe that timed out says nothing of a fencing: its timeout error is no fencing either.
    const probe = abortTransaction(engine.cluster, this.transactionalId, engine.identity.current())
    return bounded(probe, Math.min(PROBE_TIMEOUT_MS, this.#options.deliveryTimeoutMs), `abort of ${this.transactionalId}'s epoch`).then(
      () => undefined,
      (error: unknown) => error,
    )
  }

  async #abortQuietly(engine: Engine): Promise<void> {
    await engine.manager.abort().catch(() => {})
    await this.reset()
  }

  async reset(): Promise<void> {
    const ready = this.#ready
    this.#ready = undefined
    const engine = await ready?.catch(() => undefined)
    if (engine === undefined) return
    await engine.delivery.flush()
    await engine.delivery.close()
    await engine.cluster.disconnect().catch(() => {})
  }

  async disconnect(): Promise<void> {
    this.#closed = true
    await this.reset()
  }
}

/**
 * Runs a coordinator request again on the errors that mean "not yet" or "ask elsewhere", until
 * `deadline` (checked between attempts: one attempt is kafkajs' own retries of the request).
 */
async function retryCoordinator<T>(request: () => Promise<T>, deadline: number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request()
    } catch (error) {
      const wait = Math.min(1000, 20 * 2 ** attempt)
      if (!coordinatorRetriable(error) || Date.now() + wait >= deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }
}

/**
 * Whether a {@link COORDINATOR_RETRIABLE} error is anywhere in the cause chain: once kafkajs'
 * retries give up, its wrapper (KafkaJSNumberOfRetriesExceeded) has no `type` and keeps the
 * protocol error in `cause` (`originalError` elsewhere). A fencing never is, wherever it is.
 */
function coordinatorRetriable(error: unknown): boolean {
  return !isFencing(error) && hasEngineErrorType(error, COORDINATOR_RETRIABLE)
}
