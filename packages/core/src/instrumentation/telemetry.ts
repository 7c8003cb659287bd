import type { MeterProvider, TracerProvider } from '@opentelemetry/api'
import type { Registry } from 'prom-client'
import type { ConsumerDeps, ConsumerEngine } from '../consumer/engine.js'
import type { ConsumerEventSource } from '../logging/consumer-log.js'
import { logConsumerEvents } from '../logging/consumer-log.js'
import type { KafkitLogger } from '../logging/logger.js'
import { isKafkitError } from '../errors.js'
import type { SendInterceptor } from '../internal/transport/index.js'
import { ConsumerHealthTracker, type HealthOptions, type HealthReport, judgeHealth } from './health.js'
import { MetricsRecorder } from './metrics.js'
import { PrometheusMetrics } from './prometheus.js'
import { KafkaTracing } from './tracing.js'

/** Metrics options of `new Kafkit(config)`. */
export interface MetricsOptions {
  /**
   * The OpenTelemetry MeterProvider to record into. By default the global one, as the
   * OpenTelemetry SDK registers it (register it before building the client).
   */
  meterProvider?: MeterProvider
  /**
   * Keep Prometheus metrics in this prom-client registry (e.g. prom-client's global
   * `register`, to serve them next to your own); `true` for a registry of this client
   * (`kafka.prometheus`); `false` for none.
   * @default true
   */
  prometheus?: boolean | Registry
}

/** Tracing options of `new Kafkit(config)`. */
export interface TracingOptions {
  /** The OpenTelemetry TracerProvider. @default the global one (a no-op without an SDK) */
  tracerProvider?: TracerProvider
}

/** What an instrumented consumer offers: its group and typed events. */
interface WatchedConsumer extends ConsumerEventSource {
  readonly groupId: string
}

/**
 * One client's instrumentation: it sees every write (send interceptor), wraps consumer
 * engines and handler calls, and turns consumer events into metrics, logs and health.
 * @internal
 */
export class Telemetry {
  readonly logger: KafkitLogger
  readonly prometheus: PrometheusMetrics | undefined
  readonly #metrics: MetricsRecorder
  readonly #tracing: KafkaTracing | undefined
  readonly #consumers = new Set<ConsumerHealthTracker>()

  constructor(clientId: string, logger: KafkitLogger, options: { metrics?: MetricsOptions; tracing?: boolean | TracingOptions }) {
    this.logger = logger
    const prometheus = options.metrics?.prometheus ?? true
    this.prometheus = prometheus === false ? undefined : new PrometheusMetrics(prometheus === true ? undefined : prometheus)
    this.#metrics = new MetricsRecorder(clientId, {
      ...(options.metrics?.meterProvider === undefined ? {} : { meterProvider: options.metrics.meterProvider }),
      ...(this.prometheus === undefined ? {} : { prometheus: this.prometheus }),
    })
    const tracing = options.tracing ?? true
    this.#tracing = tracing === false ? undefined : new KafkaTracing(clientId, tracing === true ? undefined : tracing.tracerProvider)
  }

  /** Traces, times and counts every write to Kafka. */
  readonly interceptSend: SendInterceptor = async (batch, send) => {
    const startedAt = performance.now()
    let errorCode: string | undefined
    try {
      return await (this.#tracing ? this.#tracing.send(batch, send) : send())
    } catch (error) {
      errorCode = isKafkitError(error) ? error.code : 'KAFKIT_KAFKA'
      throw error
    } finally {
      const durationS = (performance.now() - startedAt) / 1000
      for (const entry of batch) {
        this.#metrics.produced({ topic: entry.topic, messages: entry.messages.length, durationS, ...(errorCode === undefined ? {} : { errorCode }) })
      }
    }
  }

  /**
   * Builds a consumer with instrumented dependencies: its engine reports connection,
   * group joins, polls and batches; each handler call runs in a `process` span and is timed;
   * its events become metrics, log lines and health.
   */
  consumer<D extends ConsumerDeps, C extends WatchedConsumer>(deps: D, build: (deps: D) => C): C {
    let tracker: ConsumerHealthTracker | undefined
    const instrumented: D = {
      ...deps,
      createEngine: (config) => {
        const engine = deps.createEngine(config)
        if (tracker !== undefined) this.#watchEngine(engine, config.groupId, tracker)
        return engine
      },
      aroundHandler: async (records, groupId, run) => {
        const startedAt = performance.now()
        let errorCode: string | undefined
        try {
          return await (this.#tracing ? this.#tracing.process(records, groupId, run) : run())
        } catch (error) {
          errorCode = isKafkitError(error) ? error.code : 'KAFKIT_HANDLER'
          throw error
        } finally {
          const first = records[0]
          if (first !== undefined) {
            this.#metrics.processed({ groupId, topic: first.topic, messages: records.length, durationS: (performance.now() - startedAt) / 1000, ...(errorCode === undefined ? {} : { errorCode }) })
          }
        }
      },
    }
    const consumer = build(instrumented)
    const groupId = consumer.groupId
    tracker = new ConsumerHealthTracker(groupId)
    this.#consumers.add(tracker)
    const health = tracker
    const metrics = this.#metrics
    logConsumerEvents(consumer, this.logger, groupId)
    consumer.on('consumer.retry', (e) => {
      metrics.failed(groupId, e.topic, e.errorCode)
      metrics.retried(groupId, e.topic, 'in-place')
    })
    consumer.on('consumer.retry-topic', (e) => {
      metrics.failed(groupId, e.topic, e.errorCode)
      metrics.retried(groupId, e.topic, 'retry-topic')
    })
    consumer.on('dlq.dispatched', (e) => {
      metrics.failed(groupId, e.topic, e.errorCode)
      metrics.deadLettered(groupId, e.topic, e.errorCode)
    })
    consumer.on('consumer.dropped', (e) => metrics.failed(groupId, e.topic, e.errorCode))
    consumer.on('consumer.crash', (e) => health.crashed(e.error, e.restart))
    consumer.on('consumer.stopping', () => health.stopping())
    consumer.on('consumer.stopped', () => {
      health.stopped()
      // Stopped on purpose: it leaves the report. Crashed for good: it stays, not live.
      if (!health.crashedForGood) this.#consumers.delete(health)
      metrics.forgetGroup(groupId)
    })
    return consumer
  }

  #watchEngine(engine: ConsumerEngine, groupId: string, health: ConsumerHealthTracker): void {
    engine.on('connect', () => health.connected())
    engine.on('disconnect', () => health.disconnected())
    engine.on('rebalancing', () => health.rebalancing())
    engine.on('fetch', () => health.polled())
    engine.on('group-join', (assignment) => {
      health.joined(assignment)
      this.#metrics.rebalanced(groupId)
    })
    engine.on('batch-end', (batch) => this.#metrics.consumedBatch(groupId, batch.topic, batch.partition, batch.size, batch.lag))
  }

  /** The readiness/liveness view of every consumer this client made. */
  health(options: HealthOptions = {}): HealthReport {
    return judgeHealth(
      [...this.#consumers].map((tracker) => tracker.snapshot()),
      options,
      this.#closing,
    )
  }

  #closing = false

  /** The client is closing: from now on not ready, whatever its consumers say. */
  markClosing(): void {
    this.#closing = true
  }
}
