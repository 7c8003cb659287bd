import type { Producer } from 'kafkajs'
import { KafkitError } from '../../errors.js'
import { toKafkitError } from './errors.js'
import { adaptPartitioner, COMPRESSION, toRecordMetadata, type KafkajsTransport } from './kafkajs.js'
import type { RecordMetadata, TransportSendOptions, TransportTransaction, TransportTransactionalOptions, TransportTransactionalProducer, WireTopicMessages } from './types.js'

/**
 * A transactional producer over kafkajs. kafkajs keeps one transaction state machine per
 * producer and cannot leave a failed commit or abort (its state stays `COMMITTING` /
 * `ABORTING`), so after such a failure the kafkajs producer is dropped and a new one
 * registers the same transactional id: the broker then finishes whatever was left open
 * before it answers, exactly as it does for a new instance after a crash.
 */
export function createTransactionalProducer(transport: KafkajsTransport, options: TransportTransactionalOptions): TransportTransactionalProducer {
  return new KafkajsTransactionalProducer(transport, options)
}

class KafkajsTransactionalProducer implements TransportTransactionalProducer {
  readonly transactionalId: string
  readonly #transport: KafkajsTransport
  readonly #options: TransportTransactionalOptions
  #ready: Promise<Producer> | undefined
  #closed = false

  constructor(transport: KafkajsTransport, options: TransportTransactionalOptions) {
    this.#transport = transport
    this.#options = options
    this.transactionalId = options.transactionalId
  }

  async init(): Promise<void> {
    await this.#engine()
  }

  #engine(): Promise<Producer> {
    if (this.#closed) return Promise.reject(new KafkitError('KAFKIT_ABORTED', `transactional producer ${this.transactionalId} is disconnected`))
    this.#ready ??= this.#create().catch((error: unknown) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  async #create(): Promise<Producer> {
    const { retry } = this.#transport.config
    // kafkajs transactions need idempotence and one request in flight per broker (its
    // sequence numbers are only right then).
    const producer = this.#transport.engine.producer({
      transactionalId: this.transactionalId,
      transactionTimeout: this.#options.transactionTimeoutMs,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: this.#options.allowAutoTopicCreation,
      // Right after a commit the broker answers the next transaction's first request with
      // CONCURRENT_TRANSACTIONS until its markers are written (milliseconds). kafkajs retries
      // it on the client's schedule (300 ms first): start at 20 ms as the Java client does,
      // with more retries so the overall window stays as long.
      retry: { retries: retry.retries + 4, initialRetryTime: Math.min(retry.initialRetryTimeMs, 20), maxRetryTime: retry.maxRetryTimeMs },
      createPartitioner: () => adaptPartitioner(this.#options.partitioner),
    })
    try {
      await producer.connect()
      // kafkajs registers the transactional id (InitProducerId) on its first transaction;
      // an empty one does it now, so an older instance is fenced before we consume anything.
      const empty = await producer.transaction()
      await empty.abort()
      return producer
    } catch (error) {
      await producer.disconnect().catch(() => {})
      throw toKafkitError(error, this.#context(), 'Transactional producer init')
    }
  }

  #context() {
    return { transactionalId: this.transactionalId }
  }

  async begin(): Promise<TransportTransaction> {
    const producer = await this.#engine()
    let txn: Awaited<ReturnType<Producer['transaction']>>
    try {
      txn = await producer.transaction()
    } catch (error) {
      await this.reset()
      throw toKafkitError(error, this.#context(), 'Begin transaction')
    }
    const context = this.#context()
    const write = async (batch: WireTopicMessages[], options: Omit<TransportSendOptions, 'acks'>): Promise<RecordMetadata[]> => {
      try {
        const written = await txn.sendBatch({ topicMessages: batch, acks: -1, timeout: options.timeoutMs, compression: COMPRESSION[options.compression] })
        return written.map(toRecordMetadata)
      } catch (error) {
        const topics = [...new Set(batch.map((entry) => entry.topic))]
        throw toKafkitError(error, { ...context, topics }, 'Transactional send')
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
          await txn.sendOffsets({ consumerGroupId: groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) })
        } catch (error) {
          throw toKafkitError(error, { ...context, groupId }, 'Transactional offset commit')
        }
      },
      commit: async () => {
        try {
          await txn.commit()
        } catch (error) {
          // The broker may or may not have committed; a new registration of the id settles it.
          await this.reset()
          throw toKafkitError(error, { ...context, outcome: 'unknown' }, 'Commit transaction')
        }
      },
      abort: async () => {
        try {
          await txn.abort()
        } catch (error) {
          await this.reset()
          throw toKafkitError(error, context, 'Abort transaction')
        }
      },
    }
  }

  async reset(): Promise<void> {
    const ready = this.#ready
    this.#ready = undefined
    const producer = await ready?.catch(() => undefined)
    await producer?.disconnect().catch(() => {})
  }

  async disconnect(): Promise<void> {
    this.#closed = true
    await this.reset()
  }
}
