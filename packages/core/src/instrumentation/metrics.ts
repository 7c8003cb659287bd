import { type Attributes, type Meter, type MeterProvider, metrics as otelMetrics } from '@opentelemetry/api'
import { PrometheusMetrics } from './prometheus.js'
import { BATCH_BUCKETS, type ProcessSample, type ProduceSample } from './samples.js'
import { SeriesCache } from './series-cache.js'
import { VERSION } from './version.js'

/**
 * Records kafkit's metrics into the OpenTelemetry metrics API (a no-op until an SDK
 * registers a MeterProvider) and, when asked, into a Prometheus registry. The names follow
 * the OpenTelemetry messaging conventions where they define one
 * (`messaging.client.sent.messages`, `messaging.client.operation.duration`,
 * `messaging.client.consumed.messages`, `messaging.process.duration`) and `kafkit.*`
 * otherwise. One per client; the same Prometheus registry can serve several clients
 * (series carry `client_id`).
 * @internal
 */
export class MetricsRecorder {
  readonly #clientId: string
  readonly #otel: OtelInstruments
  readonly #prometheus: PrometheusMetrics | undefined
  /** Last known lag by `group topic partition`, read by the OTel gauge's callback. */
  readonly #lag = new Map<string, { groupId: string; topic: string; partition: number; lag: number }>()
  /**
   * Attribute sets by series, made once: `processed` runs once per handled message, and building
   * (spreading) a fresh attributes object each time was the largest per-record cost of the
   * consume path. The OpenTelemetry API treats attributes as read-only, so one object per series
   * serves every recording. Keys come from configuration (groups, topics, error codes): bounded.
   */
  readonly #sendAttributes = new SeriesCache<Attributes>()
  readonly #receiveAttributes = new SeriesCache<Attributes>()
  readonly #processAttributes = new SeriesCache<Attributes>()

  constructor(clientId: string, options: { meterProvider?: MeterProvider; prometheus?: PrometheusMetrics }) {
    this.#clientId = clientId
    this.#prometheus = options.prometheus
    const meter = (options.meterProvider ?? otelMetrics).getMeter('@kafkit/core', VERSION)
    this.#otel = createOtelInstruments(meter, this.#lag, clientId)
  }

  produced(sample: ProduceSample): void {
    const { topic, errorCode } = sample
    const attributes = this.#sendAttributes.get(topic, errorCode ?? '', '', () => {
      const made: Attributes = { ...base(this.#clientId), 'messaging.operation.name': 'send', 'messaging.operation.type': 'send', 'messaging.destination.name': topic }
      if (errorCode !== undefined) made['error.type'] = errorCode
      return made
    })
    this.#otel.sent.add(sample.messages, attributes)
    this.#otel.operationDuration.record(sample.durationS, attributes)
    this.#otel.produceBatch.record(sample.messages, attributes)
    this.#prometheus?.produced(this.#clientId, sample)
  }

  consumedBatch(groupId: string, topic: string, partition: number, size: number, lag: number): void {
    if (size > 0) {
      const attributes = this.#receiveAttributes.get(groupId, topic, '', () => ({ ...base(this.#clientId), 'messaging.consumer.group.name': groupId, 'messaging.destination.name': topic, 'messaging.operation.name': 'receive' }))
      this.#otel.consumed.add(size, attributes)
      this.#otel.consumeBatch.record(size, attributes)
    }
    this.#lag.set(`${groupId} ${topic} ${partition}`, { groupId, topic, partition, lag })
    this.#prometheus?.consumedBatch(this.#clientId, groupId, topic, partition, size, lag)
  }

  processed(sample: ProcessSample): void {
    const { groupId, topic, errorCode } = sample
    const attributes = this.#processAttributesOf(groupId, topic, errorCode)
    this.#otel.processDuration.record(sample.durationS, attributes)
    this.#prometheus?.processed(this.#clientId, sample)
  }

  /**
   * Records successful handler durations of one group and topic: attributes and children are
   * bound once, so the per-message call allocates nothing and looks nothing up. Same series
   * as {@link processed} without an error code.
   */
  successRecorder(groupId: string, topic: string): (durationS: number) => void {
    const attributes = this.#processAttributesOf(groupId, topic, undefined)
    const histogram = this.#otel.processDuration
    const prometheus = this.#prometheus?.successRecorder(this.#clientId, groupId, topic)
    if (prometheus === undefined) return (durationS) => histogram.record(durationS, attributes)
    return (durationS) => {
      histogram.record(durationS, attributes)
      prometheus(durationS)
    }
  }

  /** The attribute set of handler runs of one group, topic and outcome, made once. */
  #processAttributesOf(groupId: string, topic: string, errorCode: string | undefined): Attributes {
    return this.#processAttributes.get(groupId, topic, errorCode ?? '', () => {
      const made: Attributes = { ...base(this.#clientId), 'messaging.consumer.group.name': groupId, 'messaging.destination.name': topic, 'messaging.operation.name': 'process', 'messaging.operation.type': 'process' }
      if (errorCode !== undefined) made['error.type'] = errorCode
      return made
    })
  }

  /** A message's handling failed (it is retried, moved to a retry topic, dead-lettered or dropped). */
  failed(groupId: string, topic: string, errorCode: string): void {
    this.#otel.failed.add(1, { ...consumerAttributes(this.#clientId, groupId, topic), 'error.type': errorCode })
    this.#prometheus?.failed(this.#clientId, groupId, topic, errorCode)
  }

  retried(groupId: string, topic: string, mode: 'in-place' | 'retry-topic'): void {
    this.#otel.retried.add(1, { ...consumerAttributes(this.#clientId, groupId, topic), 'kafkit.retry.mode': mode })
    this.#prometheus?.retried(this.#clientId, groupId, topic, mode)
  }

  deadLettered(groupId: string, topic: string, errorCode: string): void {
    this.#otel.deadLettered.add(1, { ...consumerAttributes(this.#clientId, groupId, topic), 'error.type': errorCode })
    this.#prometheus?.deadLettered(this.#clientId, groupId, topic)
  }

  rebalanced(groupId: string): void {
    this.#otel.rebalances.add(1, { ...base(this.#clientId), 'messaging.consumer.group.name': groupId })
    this.#prometheus?.rebalanced(this.#clientId, groupId)
  }

  /** A consumer stopped: its lag series end (they would otherwise report a stale value forever). */
  forgetGroup(groupId: string): void {
    for (const [key, entry] of this.#lag) {
      if (entry.groupId !== groupId) continue
      this.#lag.delete(key)
      this.#prometheus?.forgetLag(this.#clientId, entry.groupId, entry.topic, entry.partition)
    }
  }
}

function base(clientId: string): Attributes {
  return { 'messaging.system': 'kafka', 'messaging.client.id': clientId }
}

function consumerAttributes(clientId: string, groupId: string, topic: string): Attributes {
  return { ...base(clientId), 'messaging.consumer.group.name': groupId, 'messaging.destination.name': topic }
}

type OtelInstruments = ReturnType<typeof createOtelInstruments>

function createOtelInstruments(meter: Meter, lag: Map<string, { groupId: string; topic: string; partition: number; lag: number }>, clientId: string) {
  const instruments = {
    sent: meter.createCounter('messaging.client.sent.messages', { description: 'Messages the producer tried to send (error.type set when the send failed)', unit: '{message}' }),
    operationDuration: meter.createHistogram('messaging.client.operation.duration', {
      description: 'Duration of a send request, until the broker acknowledged',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    }),
    produceBatch: meter.createHistogram('kafkit.producer.batch.size', { description: 'Messages per send request', unit: '{message}', advice: { explicitBucketBoundaries: BATCH_BUCKETS } }),
    consumed: meter.createCounter('messaging.client.consumed.messages', { description: 'Messages fetched and handed to the consumer runtime', unit: '{message}' }),
    consumeBatch: meter.createHistogram('kafkit.consumer.batch.size', { description: 'Messages per fetched partition batch', unit: '{message}', advice: { explicitBucketBoundaries: BATCH_BUCKETS } }),
    processDuration: meter.createHistogram('messaging.process.duration', {
      description: 'Duration of one handler run (one message, or one batch for batch handlers)',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] },
    }),
    failed: meter.createCounter('kafkit.consumer.messages.failed', { description: 'Failed handler runs, per message (error.type: the KafkitError code)', unit: '{message}' }),
    retried: meter.createCounter('kafkit.consumer.messages.retried', { description: 'Messages retried in place or moved to a retry topic', unit: '{message}' }),
    deadLettered: meter.createCounter('kafkit.consumer.messages.dead_lettered', { description: 'Messages written to a dead-letter topic', unit: '{message}' }),
    rebalances: meter.createCounter('kafkit.consumer.rebalances', { description: 'Consumer group rebalances this member went through', unit: '{rebalance}' }),
    lag: meter.createObservableGauge('kafkit.consumer.lag', { description: 'Messages between the last handled offset and the partition end, per partition', unit: '{message}' }),
  }
  instruments.lag.addCallback((result) => {
    for (const entry of lag.values()) {
      result.observe(entry.lag, { ...consumerAttributes(clientId, entry.groupId, entry.topic), 'messaging.destination.partition.id': String(entry.partition) })
    }
  })
  return instruments
}
