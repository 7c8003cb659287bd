import { KafkitAdmin } from './admin.js'
import { KafkitConsumer } from './consumer/consumer.js'
import type { ConsumerOptions } from './consumer/options.js'
import { DeadLetterTopic } from './consumer/replay.js'
import { type KafkitConfig, kafkitConfigSchema } from './config.js'
import { parseOptions } from './internal/options.js'
import { Transport } from './internal/transport/index.js'
import { createConsumerDeps } from './internal/transport/group-consumer.js'
import { createPipelineDeps } from './internal/transport/pipeline-deps.js'
import type { PipelineOptions } from './pipeline/options.js'
import { KafkitPipeline } from './pipeline/pipeline.js'
import { KafkitProducer, type ProducerOptions } from './producer.js'

/** Anything the client made that holds connections. */
interface Closeable {
  disconnect(): Promise<void>
}

/**
 * The entry point: one per service (and cluster). Validates its configuration when built,
 * makes producers, admins and consumers that share it, and closes them all on
 * {@link Kafkit.close}.
 *
 * @example
 * ```ts
 * const kafka = new Kafkit({ clientId: 'activity-service', brokers: ['kafka-1:9092'] })
 * const producer = kafka.producer()
 * await producer.send(UserActivity, { key: 'u1', value: { userId: 'u1', action: 'login', at: new Date() } })
 * await kafka.close()
 * ```
 * @throws KafkitError `KAFKIT_CONFIG` naming each invalid path
 */
export class Kafkit {
  /** The client id every connection announces. */
  readonly clientId: string
  readonly #transport: Transport
  readonly #open = new Set<Closeable>()

  constructor(config: KafkitConfig) {
    const parsed = parseOptions('Kafkit', kafkitConfigSchema, config)
    this.clientId = parsed.clientId
    this.#transport = new Transport({
      clientId: parsed.clientId,
      brokers: parsed.brokers,
      ...(parsed.ssl === undefined ? {} : { ssl: parsed.ssl }),
      ...(parsed.sasl === undefined ? {} : { sasl: parsed.sasl }),
      connectionTimeoutMs: parsed.connectionTimeoutMs,
      requestTimeoutMs: parsed.requestTimeoutMs,
      retry: parsed.retry,
      logLevel: parsed.logLevel,
      logger: parsed.logger,
    })
  }

  /**
   * A typed producer: idempotent with `acks: 'all'` unless told otherwise, no automatic
   * topic creation. It connects on first send.
   * @throws KafkitError `KAFKIT_CONFIG` for invalid options (e.g. `acks: 1` while idempotent)
   */
  producer(options: ProducerOptions = {}): KafkitProducer {
    return this.#track(new KafkitProducer(this.#transport, options))
  }

  /** Contract-driven administration (`ensureTopics`). It connects on first use. */
  admin(): KafkitAdmin {
    return this.#track(new KafkitAdmin(this.#transport))
  }

  /**
   * A group consumer with typed handlers, retry, retry topics and a dead-letter topic.
   * Nothing connects before `start()`.
   * @throws KafkitError `KAFKIT_CONFIG` naming each invalid option path
   */
  consumer(options: ConsumerOptions): KafkitConsumer {
    return this.#track(new KafkitConsumer(createConsumerDeps(this.#transport), options))
  }

  /** Operator tools for a dead-letter topic: list, inspect, replay (see `kafkit dlq`). */
  deadLetters(topic: string): DeadLetterTopic {
    return this.#track(new DeadLetterTopic(topic, createConsumerDeps(this.#transport)))
  }

  /**
   * An exactly-once consume-transform-produce pipeline: `.from(Input).to(Output, transform)`.
   * Reads with `read_committed`; each transaction carries the outputs, dead letters and
   * consumed offsets together. Nothing connects before `start()`.
   *
   * @example
   * ```ts
   * await kafka.pipeline({ groupId: 'enricher' }).from(UserActivity).to(Enriched, (m) => ({ key: m.key, value: enrich(m.value) })).start()
   * ```
   * @throws KafkitError `KAFKIT_CONFIG` naming each invalid option path
   */
  pipeline(options: PipelineOptions): KafkitPipeline {
    return this.#track(new KafkitPipeline(createPipelineDeps(this.#transport), options))
  }

  // Further factories follow the same pattern: build the object on
  // `this.#transport` and pass it through `this.#track(...)` so `close()` reaches it.

  /** Disconnects every producer, admin and consumer this client made. Idempotent. */
  async close(): Promise<void> {
    const open = [...this.#open]
    this.#open.clear()
    const results = await Promise.allSettled(open.map((entry) => entry.disconnect()))
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  #track<T extends Closeable>(entry: T): T {
    // Drop it from the set when the owner disconnects it directly.
    const disconnect = entry.disconnect.bind(entry)
    const open = this.#open
    open.add(entry)
    entry.disconnect = () => {
      open.delete(entry)
      return disconnect()
    }
    return entry
  }
}
