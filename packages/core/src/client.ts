import { KafkitAdmin } from './admin.js'
import { KafkitConsumer } from './consumer/consumer.js'
import type { ConsumerOptions } from './consumer/options.js'
import { DeadLetterTopic } from './consumer/replay.js'
import { type KafkitConfig, kafkitConfigSchema } from './config.js'
import { type EnvVariable, readEnvConfig, type SchemaRegistryConnection } from './config/env.js'
import type { HealthOptions, HealthReport } from './instrumentation/health.js'
import { setUpObservability } from './instrumentation/setup.js'
import type { Telemetry } from './instrumentation/telemetry.js'
import type { KafkitLogger } from './logging/logger.js'
import { parseOptions } from './internal/options.js'
import { createConsumerDeps, createDeadLetterDeps, createPipelineDeps, Transport } from './internal/transport/index.js'
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
  /** Where `SCHEMA_REGISTRY_URL` and its credentials (or `config.schemaRegistry`) point: pass it to `@kafkit/avro`'s `new SchemaRegistry(...)`. */
  readonly schemaRegistry: SchemaRegistryConnection | undefined
  readonly #transport: Transport
  readonly #telemetry: Telemetry
  readonly #open = new Set<Closeable>()

  /**
   * A client configured from environment variables (`KAFKA_BROKERS`, `KAFKA_CLIENT_ID`,
   * `KAFKA_SSL*`, `KAFKA_SASL_*`, timeouts, `SCHEMA_REGISTRY_*`; see `docs/production.md`),
   * with `overrides` from code winning over the environment.
   *
   * @example
   * ```ts
   * const kafka = Kafkit.fromEnv({ clientId: 'activity-service', logger: pino() })
   * ```
   * @param env @default process.env
   * @throws KafkitError `KAFKIT_CONFIG` listing every invalid or missing variable by name,
   *   never quoting a value
   */
  static fromEnv(overrides: Partial<KafkitConfig> = {}, env: Readonly<Record<string, string | undefined>> = process.env): Kafkit {
    const required: EnvVariable[] = []
    if (overrides.brokers === undefined) required.push('KAFKA_BROKERS')
    if (overrides.clientId === undefined) required.push('KAFKA_CLIENT_ID')
    const fromEnv = readEnvConfig(env, required)
    const retry = fromEnv.retry === undefined && overrides.retry === undefined ? {} : { retry: { ...fromEnv.retry, ...overrides.retry } }
    return new Kafkit({ ...fromEnv, ...overrides, ...retry } as KafkitConfig)
  }

  constructor(config: KafkitConfig) {
    const parsed = parseOptions('Kafkit', kafkitConfigSchema, config)
    this.clientId = parsed.clientId
    this.schemaRegistry = parsed.schemaRegistry
    const observability = setUpObservability(parsed)
    this.#telemetry = observability.telemetry
    this.#transport = new Transport({
      clientId: parsed.clientId,
      brokers: parsed.brokers,
      ...(parsed.ssl === undefined ? {} : { ssl: parsed.ssl }),
      ...(parsed.sasl === undefined ? {} : { sasl: parsed.sasl }),
      connectionTimeoutMs: parsed.connectionTimeoutMs,
      requestTimeoutMs: parsed.requestTimeoutMs,
      retry: parsed.retry,
      logLevel: observability.engineLogLevel,
      logger: observability.engineLogger,
      interceptSend: observability.telemetry.interceptSend,
    })
  }

  /** The logger kafkit writes to (the one given, or the default pino logger). */
  get logger(): KafkitLogger {
    return this.#telemetry.logger
  }

  /**
   * The prom-client registry holding this client's metrics (Prometheus text:
   * `await kafka.prometheus.metrics()`), unless `metrics.prometheus` is `false`.
   */
  get prometheus(): import('prom-client').Registry | undefined {
    return this.#telemetry.prometheus?.registry
  }

  /**
   * A readiness/liveness view of the consumers this client made, for Kubernetes probes
   * (see `startOpsServer` for ready HTTP endpoints).
   * @throws KafkitError `KAFKIT_CONFIG` for a negative or NaN `maxPollIntervalMs`/`maxPartitionHoldMs`, naming it and its value
   */
  health(options: HealthOptions = {}): HealthReport {
    return this.#telemetry.health(options)
  }

  /**
   * A typed producer: idempotent with `acks: 'all'` unless told otherwise, no automatic
   * topic creation. It connects on first send.
   * @throws KafkitError `KAFKIT_CONFIG` for invalid options (e.g. `acks: 1` while idempotent)
   */
  producer(options: ProducerOptions = {}): KafkitProducer {
    return this.#track(new KafkitProducer(this.#transport, options))
  }

  /** Contract-driven administration (`ensureTopics`) and the cluster's topics (`listTopics`). It connects on first use. */
  admin(): KafkitAdmin {
    return this.#track(new KafkitAdmin(this.#transport))
  }

  /**
   * A group consumer with typed handlers, retry, retry topics and a dead-letter topic.
   * Nothing connects before `start()`.
   * @throws KafkitError `KAFKIT_CONFIG` naming each invalid option path
   */
  consumer(options: ConsumerOptions): KafkitConsumer {
    return this.#track(this.#telemetry.consumer(createConsumerDeps(this.#transport), (deps) => new KafkitConsumer(deps, options)))
  }

  /** Operator tools for a dead-letter topic: list, inspect, replay (see `kafkit dlq`). */
  deadLetters(topic: string): DeadLetterTopic {
    return this.#track(new DeadLetterTopic(topic, createDeadLetterDeps(this.#transport)))
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
    return this.#track(this.#telemetry.pipeline(createPipelineDeps(this.#transport), (deps) => new KafkitPipeline(deps, options)))
  }

  // Further factories follow the same pattern: build the object on
  // `this.#transport` and pass it through `this.#track(...)` so `close()` reaches it.

  /** Disconnects every producer, admin and consumer this client made. Idempotent. */
  async close(): Promise<void> {
    this.#telemetry.markClosing()
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
