import { performance } from 'node:perf_hooks'
import type { MeterProvider, TracerProvider } from '@opentelemetry/api'
import type { Registry } from 'prom-client'
import type { ConsumerDeps, ConsumerEngine, RecordPlace } from '../runtime/engine.js'
import type { BatchRecord } from '../runtime/records.js'
import type { PipelineConsumerConfig, PipelineEngine } from '../pipeline/engine.js'
import type { PipelineEvents } from '../pipeline/events.js'
import type { ConsumerEventSource } from '../logging/consumer-log.js'
import { logConsumerEvents } from '../logging/consumer-log.js'
import type { KafkitLogger } from '../logging/logger.js'
import { isKafkitError } from '../errors.js'
import type { SendInterceptor } from '../internal/transport/index.js'
import { ConsumerHealthTracker, type HealthOptions, type HealthReport, judgeHealth } from './health.js'
import { MetricsRecorder } from './metrics.js'
import { SeriesCache } from './series-cache.js'
import { PrometheusMetrics } from './prometheus.js'
import { KafkaTracing, type TracedRecord } from './tracing.js'

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

/** What an instrumented pipeline offers beside that: its transactional id and its own events. */
interface WatchedPipeline extends WatchedConsumer {
  readonly transactionalId: string
  on<K extends keyof PipelineEvents>(name: K, listener: (payload: PipelineEvents[K]) => void): () => void
}

/** Dependencies whose engine and handler calls can be instrumented: a consumer's or a pipeline's. */
interface InstrumentableDeps {
  createEngine(config: PipelineConsumerConfig): ConsumerEngine | PipelineEngine
  aroundHandler?: ConsumerDeps['aroundHandler']
  handlerTiming?: ConsumerDeps['handlerTiming']
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
    const { consumer, health } = this.#instrument(deps, build)
    consumer.on('consumer.stopping', () => health.stopping())
    consumer.on('consumer.stopped', () => this.#stopped(health))
    return consumer
  }

  /**
   * Builds a pipeline the same way: a `process` span and the handler metrics per transform,
   * its consumer events as metrics and log lines, a health entry; a fenced or failed pipeline
   * logs at error level and stays in the health report, not live.
   */
  pipeline<D extends InstrumentableDeps, P extends WatchedPipeline>(deps: D, build: (deps: D) => P): P {
    const { consumer: pipeline, health } = this.#instrument(deps, build)
    const log = this.logger.child({ component: 'kafkit', group: pipeline.groupId, transactionalId: pipeline.transactionalId })
    pipeline.on('pipeline.started', (e) => log.info({ topic: e.topic, outputs: e.outputs }, 'pipeline started'))
    pipeline.on('pipeline.stopping', (e) => {
      health.stopping()
      log.info({ reason: e.reason }, 'pipeline stopping')
    })
    pipeline.on('pipeline.failed', (e) => {
      health.crashed(e.error, false)
      log.error({ err: { type: e.error.name, message: e.error.message, code: e.error.code, retriable: e.error.retriable } }, e.error.code === 'KAFKIT_PRODUCER_FENCED' ? 'pipeline fenced: another instance took its transactional id over; it stops' : 'pipeline failed and stops')
    })
    pipeline.on('producer.txn.commit-unknown', (e) => log.warn({ errorCode: e.error.code, errorMessage: e.error.message }, 'transaction commit outcome unknown; resuming from the committed offsets'))
    pipeline.on('pipeline.stopped', () => {
      this.#stopped(health)
      log.info({}, 'pipeline stopped')
    })
    return pipeline
  }

  /** What a consumer and a pipeline share: engine watching, handler spans and metrics, failure metrics, logs, a health entry. */
  #instrument<D extends InstrumentableDeps, C extends WatchedConsumer>(deps: D, build: (deps: D) => C): { consumer: C; health: ConsumerHealthTracker } {
    let tracker: ConsumerHealthTracker | undefined
    const instrumented: D = {
      ...deps,
      createEngine: ((config: PipelineConsumerConfig) => {
        const engine = deps.createEngine(config)
        if (tracker !== undefined) this.#watchEngine(engine, config.groupId, tracker)
        return engine
      }) as D['createEngine'],
      // Not an async function: a synchronous handler call is timed and returned without a
      // trip through the microtask queue. Once per handled message: no closure, no array,
      // unless a tracing SDK wants a span.
      aroundHandler: (place, records, groupId, run, arg) => {
        const startedAt = performance.now()
        type Result = ReturnType<typeof run>
        const count = isRecordList(records) ? records.length : 1
        if (count === 0) return run(arg)
        const topic = place.topic
        let result: unknown
        try {
          result = this.#tracing !== undefined && this.#tracing.active() ? this.#tracing.process(traced(place, records), groupId, () => run(arg)) : run(arg)
        } catch (error) {
          this.#handled(topic, count, groupId, startedAt, failureCode(error))
          throw error
        }
        if (isPromiseLike(result)) {
          return Promise.resolve(result).then(
            (value) => {
              this.#handled(topic, count, groupId, startedAt, undefined)
              return value
            },
            (error: unknown) => {
              this.#handled(topic, count, groupId, startedAt, failureCode(error))
              throw error
            },
          ) as Result
        }
        this.#handled(topic, count, groupId, startedAt, undefined)
        return result as Result
      },
      // The same histogram, from the runtime's own clock reads: no wrapper call per message.
      handlerTiming: {
        direct: () => this.#tracing === undefined || !this.#tracing.active(),
        recorder: (groupId, topic) => {
          const record = this.#successRecorder(groupId, topic)
          return (durationS) => {
            try {
              record(durationS)
            } catch (error) {
              this.#instrumentationFailed(error)
            }
          }
        },
        failed: (groupId, topic, durationS, error) => {
          try {
            this.#metrics.processed({ groupId, topic, messages: 1, durationS, errorCode: failureCode(error) })
          } catch (failure) {
            this.#instrumentationFailed(failure)
          }
        },
      },
    }
    const consumer = build(instrumented)
    const groupId = consumer.groupId
    tracker = new ConsumerHealthTracker(groupId)
    this.#consumers.add(tracker)
    const health = tracker
    const metrics = this.#metrics
    logConsumerEvents(consumer, this.logger, groupId)
    // Held partitions come from failure events, recoveries and batch ends only: nothing per handled record.
    consumer.on('consumer.retry', (e) => {
      metrics.failed(groupId, e.topic, e.errorCode)
      metrics.retried(groupId, e.topic, 'in-place')
      health.retrying(e)
    })
    // A retry or dead-letter write tried again holds the partition of the record it parks
    // (a refused ACL, a cluster that cannot take it yet); the write's success ends it below.
    consumer.on('consumer.write-failed', (e) => health.retrying({ ...e.held, errorCode: e.errorCode, errorMessage: `write to ${e.topic}: ${e.errorMessage}`, errorReason: e.errorReason }))
    // The held record got through: its partition is no longer held, even if its batch never
    // ends (a rebalance met right after it, then only empty fetches).
    consumer.on('consumer.recovered', (e) => health.progressed(e.topic, e.partition))
    consumer.on('consumer.retry-topic', (e) => {
      metrics.failed(groupId, e.topic, e.errorCode)
      metrics.retried(groupId, e.topic, 'retry-topic')
      health.progressed(e.topic, e.partition)
    })
    consumer.on('dlq.dispatched', (e) => {
      metrics.failed(groupId, e.topic, e.errorCode)
      metrics.deadLettered(groupId, e.topic, e.errorCode)
      health.progressed(e.topic, e.partition)
    })
    consumer.on('consumer.dropped', (e) => {
      metrics.failed(groupId, e.topic, e.errorCode)
      health.progressed(e.topic, e.partition)
    })
    consumer.on('consumer.crash', (e) => health.crashed(e.error, e.restart))
    consumer.on('consumer.rebalancing', () => health.rebalancing())
    // After the runtime's own announcement of the change (also one kafkajs never reported:
    // a restart, an eviction it met in its own commit), so a join always ends 'rebalancing'.
    consumer.on('consumer.group-joined', (e) => {
      health.joined(e.assignment)
      metrics.rebalanced(groupId)
    })
    return { consumer, health }
  }

  #stopped(health: ConsumerHealthTracker): void {
    health.stopped()
    // Stopped on purpose: it leaves the report. Crashed for good: it stays, not live.
    if (!health.crashedForGood) this.#consumers.delete(health)
    this.#metrics.forgetGroup(health.groupId)
  }

  #watchEngine(engine: ConsumerEngine, groupId: string, health: ConsumerHealthTracker): void {
    engine.on('connect', () => health.connected())
    engine.on('disconnect', () => health.disconnected())
    engine.on('fetch', () => health.polled())
    engine.on('batch-end', (batch) => {
      this.#metrics.consumedBatch(groupId, batch.topic, batch.partition, batch.size, batch.lag)
      health.progressed(batch.topic, batch.partition)
    })
  }

  #instrumentationWarned = false

  /** Records one handler run over `count` records of `topic` (no closure per call: this runs once per handled message). */
  #handled(topic: string, count: number, groupId: string, startedAt: number, errorCode: string | undefined): void {
    try {
      const durationS = (performance.now() - startedAt) / 1000
      // The success path: a recorder bound to its series, no lookups by labels.
      if (errorCode === undefined) this.#successRecorder(groupId, topic)(durationS)
      else this.#metrics.processed({ groupId, topic, messages: count, durationS, errorCode })
    } catch (error) {
      // A metric that cannot be recorded must not turn a handled message into a failed one (retried, dead-lettered).
      this.#instrumentationFailed(error)
    }
  }
  readonly #successRecorders = new SeriesCache<(durationS: number) => void>()
  /** The series of the last success recorded: consecutive messages mostly share it. */
  #lastSuccess: { groupId: string; topic: string; record: (durationS: number) => void } | undefined

  /** The bound recorder of successful handler runs of one group and topic. */
  #successRecorder(groupId: string, topic: string): (durationS: number) => void {
    const last = this.#lastSuccess
    if (last !== undefined && last.topic === topic && last.groupId === groupId) return last.record
    const record = this.#successRecorders.get(groupId, topic, '', () => this.#metrics.successRecorder(groupId, topic))
    this.#lastSuccess = { groupId, topic, record }
    return record
  }

  /** Says once, at warn, that recording a metric failed; the work it measured goes on unaffected. */
  #instrumentationFailed(error: unknown): void {
    if (this.#instrumentationWarned) return
    this.#instrumentationWarned = true
    this.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'kafkit could not record a metric (reported once); handling goes on')
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

function isRecordList(records: BatchRecord | readonly BatchRecord[]): records is readonly BatchRecord[] {
  return Array.isArray(records)
}

/** The records of a handler call as tracing reads them (only when a tracing SDK is there). */
function traced(place: RecordPlace, records: BatchRecord | readonly BatchRecord[]): TracedRecord[] {
  return (isRecordList(records) ? records : [records]).map((record) => ({ topic: place.topic, partition: place.partition, offset: record.offset, key: record.key ?? null, headers: record.headers }))
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
}

/** The metric label of a handler failure: its KafkitError code, or KAFKIT_HANDLER. */
function failureCode(error: unknown): string {
  return isKafkitError(error) ? error.code : 'KAFKIT_HANDLER'
}
