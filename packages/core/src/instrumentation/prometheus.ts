import { Counter, Gauge, type Metric, Registry } from 'prom-client'
import { FastHistogram, type SeriesHistogram } from './histogram.js'
import { BATCH_BUCKETS, type ProcessSample, type ProduceSample } from './samples.js'
import { SeriesCache } from './series-cache.js'

/** A metric of one of the kinds used here (a histogram made by another kafkit copy may be prom-client's own). */
type AnyMetric = Counter<string> | Gauge<string> | SeriesHistogram

/**
 * Returns the metric already registered under `name` (another kafkit client on the same
 * registry made it), or registers a new one.
 */
function reuse<M extends AnyMetric>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as Metric<string> | undefined as M | undefined) ?? make()
}

/**
 * kafkit's metrics in a prom-client registry (Prometheus text format): every series has
 * `client_id`; consumer series have `group` and `topic`.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `kafkit_messages_produced_total` | counter | topic |
 * | `kafkit_produce_errors_total` | counter (messages in failed sends) | topic, error_code |
 * | `kafkit_produce_duration_seconds` | histogram | topic |
 * | `kafkit_produce_batch_size` | histogram (messages per send) | topic |
 * | `kafkit_messages_consumed_total` | counter | group, topic |
 * | `kafkit_consume_batch_size` | histogram (messages per fetched batch) | group, topic |
 * | `kafkit_handler_duration_seconds` | histogram | group, topic, outcome |
 * | `kafkit_messages_failed_total` | counter | group, topic, error_code |
 * | `kafkit_messages_retried_total` | counter | group, topic, mode (`in-place`, `retry-topic`) |
 * | `kafkit_messages_dead_lettered_total` | counter | group, topic |
 * | `kafkit_consumer_lag` | gauge | group, topic, partition |
 * | `kafkit_consumer_rebalances_total` | counter | group |
 * @internal
 */
export class PrometheusMetrics {
  /** The registry the metrics live in. */
  readonly registry: Registry
  readonly #produced: Counter<string>
  readonly #produceErrors: Counter<string>
  readonly #produceDuration: SeriesHistogram
  readonly #produceBatch: SeriesHistogram
  readonly #consumed: Counter<string>
  readonly #consumeBatch: SeriesHistogram
  readonly #handlerDuration: SeriesHistogram
  readonly #failed: Counter<string>
  readonly #retried: Counter<string>
  readonly #deadLettered: Counter<string>
  readonly #lag: Gauge<string>
  readonly #rebalances: Counter<string>
  /**
   * Children bound to their label values, by series: the handler histogram is observed once
   * per handled message; a bound child of a {@link FastHistogram} is an array increment, where
   * prom-client's `observe(labels, value)` checks and hashes a fresh labels object each time.
   */
  readonly #handlerSuccess = new SeriesCache<{ observe(value: number): void }>()
  readonly #handlerError = new SeriesCache<{ observe(value: number): void }>()
  readonly #producedChildren = new SeriesCache<{ produced: { inc(value: number): void }; duration: { observe(value: number): void }; batch: { observe(value: number): void } }>()
  readonly #consumedChildren = new SeriesCache<{ consumed: { inc(value: number): void }; batch: { observe(value: number): void } }>()

  constructor(registry: Registry = new Registry()) {
    this.registry = registry
    const registers = [registry]
    const counter = (name: string, help: string, labelNames: string[]) => reuse(registry, name, () => new Counter({ name, help, labelNames, registers }))
    const histogram = (name: string, help: string, labelNames: string[], buckets: number[]) =>
      reuse<SeriesHistogram>(registry, name, () => new FastHistogram({ name, help, labelNames, buckets, registers }))
    const seconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    this.#produced = counter('kafkit_messages_produced_total', 'Messages the broker acknowledged', ['client_id', 'topic'])
    this.#produceErrors = counter('kafkit_produce_errors_total', 'Messages in send requests that failed', ['client_id', 'topic', 'error_code'])
    this.#produceDuration = histogram('kafkit_produce_duration_seconds', 'Send request latency until the broker acknowledged', ['client_id', 'topic'], seconds)
    this.#produceBatch = histogram('kafkit_produce_batch_size', 'Messages per send request', ['client_id', 'topic'], BATCH_BUCKETS)
    this.#consumed = counter('kafkit_messages_consumed_total', 'Messages fetched and handed to the consumer runtime', ['client_id', 'group', 'topic'])
    this.#consumeBatch = histogram('kafkit_consume_batch_size', 'Messages per fetched partition batch', ['client_id', 'group', 'topic'], BATCH_BUCKETS)
    this.#handlerDuration = histogram('kafkit_handler_duration_seconds', 'Handler run duration (a message, or a batch for batch handlers)', ['client_id', 'group', 'topic', 'outcome'], seconds)
    this.#failed = counter('kafkit_messages_failed_total', 'Failed handler runs, per message', ['client_id', 'group', 'topic', 'error_code'])
    this.#retried = counter('kafkit_messages_retried_total', 'Messages retried in place or moved to a retry topic', ['client_id', 'group', 'topic', 'mode'])
    this.#deadLettered = counter('kafkit_messages_dead_lettered_total', 'Messages written to a dead-letter topic', ['client_id', 'group', 'topic'])
    this.#lag = reuse(registry, 'kafkit_consumer_lag', () => new Gauge({ name: 'kafkit_consumer_lag', help: 'Messages between the last fetched offset and the partition end', labelNames: ['client_id', 'group', 'topic', 'partition'], registers }))
    this.#rebalances = counter('kafkit_consumer_rebalances_total', 'Consumer group rebalances this member went through', ['client_id', 'group'])
  }

  produced(clientId: string, sample: ProduceSample): void {
    const { topic, errorCode } = sample
    const children = this.#producedChildren.get(clientId, topic, '', () => {
      const labels = { client_id: clientId, topic }
      return { produced: this.#produced.labels(labels), duration: this.#produceDuration.labels(labels), batch: this.#produceBatch.labels(labels) }
    })
    if (errorCode === undefined) children.produced.inc(sample.messages)
    else this.#produceErrors.inc({ client_id: clientId, topic, error_code: errorCode }, sample.messages)
    children.duration.observe(sample.durationS)
    children.batch.observe(sample.messages)
  }

  consumedBatch(clientId: string, group: string, topic: string, partition: number, size: number, lag: number): void {
    if (size > 0) {
      const children = this.#consumedChildren.get(clientId, group, topic, () => {
        const labels = { client_id: clientId, group, topic }
        return { consumed: this.#consumed.labels(labels), batch: this.#consumeBatch.labels(labels) }
      })
      children.consumed.inc(size)
      children.batch.observe(size)
    }
    this.#lag.set({ client_id: clientId, group, topic, partition: String(partition) }, lag)
  }

  processed(clientId: string, sample: ProcessSample): void {
    const { groupId: group, topic } = sample
    const outcome = sample.errorCode === undefined ? 'success' : 'error'
    const child = (outcome === 'success' ? this.#handlerSuccess : this.#handlerError).get(clientId, group, topic, () => this.#handlerDuration.labels({ client_id: clientId, group, topic, outcome }))
    child.observe(sample.durationS)
  }

  /** Observes successful handler durations of one group and topic, bound once (the per-message path). */
  successRecorder(clientId: string, group: string, topic: string): (durationS: number) => void {
    const child = this.#handlerSuccess.get(clientId, group, topic, () => this.#handlerDuration.labels({ client_id: clientId, group, topic, outcome: 'success' }))
    return (durationS) => child.observe(durationS)
  }

  failed(clientId: string, group: string, topic: string, errorCode: string): void {
    this.#failed.inc({ client_id: clientId, group, topic, error_code: errorCode })
  }

  retried(clientId: string, group: string, topic: string, mode: string): void {
    this.#retried.inc({ client_id: clientId, group, topic, mode })
  }

  deadLettered(clientId: string, group: string, topic: string): void {
    this.#deadLettered.inc({ client_id: clientId, group, topic })
  }

  rebalanced(clientId: string, group: string): void {
    this.#rebalances.inc({ client_id: clientId, group })
  }

  forgetLag(clientId: string, group: string, topic: string, partition: number): void {
    this.#lag.remove({ client_id: clientId, group, topic, partition: String(partition) })
  }
}
