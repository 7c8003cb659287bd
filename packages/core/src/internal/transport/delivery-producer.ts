import type kafkajs from 'kafkajs'
import { isKafkitError } from '../../errors.js'
import { COMPRESSION } from './compression.js'
import { Delivery } from './delivery.js'
import { createCluster, createTransactionManager, type EngineCluster } from './engine-internals.js'
import { toKafkitError } from './errors.js'
import { IdempotentIdentity } from './identity.js'
import type { LogEntry, RecordMetadata, TransportConfig, TransportProducer, TransportProducerOptions, TransportSendOptions, WireTopicMessages } from './types.js'

/** A batch stops growing past this many bytes (the broker's default `message.max.bytes` is 1 MiB). */
export const MAX_BATCH_BYTES = 900_000

/** The delivery path's logger: lines go to the transport's log sink, which filters by level. */
export function deliveryLog(config: TransportConfig, extra: Record<string, unknown> = {}) {
  return (level: LogEntry['level'], message: string, fields: Record<string, unknown> = {}) => {
    config.logger({ level, namespace: 'Delivery', message, extra: { ...extra, ...fields } })
  }
}

/** Maps what a delivery throws to a KafkitError naming the topics. */
export function deliveryError(error: unknown, batch: WireTopicMessages[], context: Record<string, unknown>, action: string) {
  if (isKafkitError(error)) return error
  const topics = [...new Set(batch.map((entry) => entry.topic))]
  return toKafkitError(error, { ...context, ...(topics.length === 1 ? { topic: topics[0] } : { topics }) }, action)
}

/**
 * A plain or idempotent producer: kafkajs' cluster for connections and metadata, kafkit's
 * {@link Delivery} for every produce request (see delivery.ts for the guarantees).
 */
export class DeliveryProducer implements TransportProducer {
  readonly #cluster: EngineCluster
  readonly #delivery: Delivery
  readonly #identity: IdempotentIdentity | undefined
  readonly #config: TransportConfig

  constructor(client: InstanceType<typeof kafkajs.Kafka>, config: TransportConfig, options: TransportProducerOptions) {
    this.#config = config
    const cluster = (this.#cluster = createCluster(client, { allowAutoTopicCreation: options.allowAutoTopicCreation }))
    const log = deliveryLog(config)
    this.#identity = options.idempotent ? new IdempotentIdentity(() => createTransactionManager(client, cluster, {}), (message, fields) => log('info', message, fields)) : undefined
    this.#delivery = new Delivery({
      cluster,
      partitioner: options.partitioner,
      identity: this.#identity,
      deliveryTimeoutMs: options.deliveryTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? config.requestTimeoutMs,
      maxInFlightRequests: options.maxInFlightRequests ?? (options.idempotent ? 1 : 5),
      maxBatchBytes: MAX_BATCH_BYTES,
      ...(options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: options.maxQueuedBytes }),
      unknownTopicRetries: config.retry.retries,
      log,
    })
  }

  async connect(): Promise<void> {
    try {
      await this.#cluster.connect()
      // A producer id now, so the first send does not wait for one (kafkajs retries this itself).
      await this.#identity?.renew(undefined)
    } catch (error) {
      throw toKafkitError(error, {}, 'Producer connect')
    }
  }

  /** Waits for every queued send to settle (each within its delivery timeout), then disconnects. */
  async disconnect(): Promise<void> {
    await this.#delivery.flush()
    await this.#delivery.close()
    await this.#cluster.disconnect()
  }

  get queuedBytes(): number {
    return this.#delivery.queuedBytes
  }

  send(batch: WireTopicMessages[], options: TransportSendOptions): Promise<RecordMetadata[]> {
    const intercept = this.#config.interceptSend
    return intercept ? intercept(batch, () => this.#send(batch, options)) : this.#send(batch, options)
  }

  async #send(batch: WireTopicMessages[], options: TransportSendOptions): Promise<RecordMetadata[]> {
    try {
      return await this.#delivery.send(batch, { acks: options.acks, ackTimeoutMs: options.timeoutMs, compression: COMPRESSION[options.compression] })
    } catch (error) {
      throw deliveryError(error, batch, {}, 'Send')
    }
  }
}
