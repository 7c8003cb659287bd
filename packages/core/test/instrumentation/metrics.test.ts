import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { Registry } from 'prom-client'
import { describe, expect, test } from 'vitest'
import { MetricsRecorder } from '../../src/instrumentation/metrics.js'
import { PrometheusMetrics } from '../../src/instrumentation/prometheus.js'

/** A reader that collects on demand. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function points(collected: ResourceMetrics, name: string) {
  const metric = collected.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name)
  return metric?.dataPoints ?? []
}

function record(recorder: MetricsRecorder) {
  recorder.produced({ topic: 'orders', messages: 3, durationS: 0.004 })
  recorder.produced({ topic: 'orders', messages: 2, durationS: 0.5, errorCode: 'KAFKIT_KAFKA' })
  recorder.consumedBatch('g1', 'orders', 0, 5, 12)
  recorder.consumedBatch('g1', 'orders', 1, 0, 3)
  recorder.processed({ groupId: 'g1', topic: 'orders', messages: 1, durationS: 0.02 })
  recorder.processed({ groupId: 'g1', topic: 'orders', messages: 1, durationS: 0.03, errorCode: 'KAFKIT_HANDLER' })
  recorder.failed('g1', 'orders', 'KAFKIT_HANDLER')
  recorder.retried('g1', 'orders', 'in-place')
  recorder.deadLettered('g1', 'orders', 'KAFKIT_HANDLER')
  recorder.rebalanced('g1')
}

describe('MetricsRecorder', () => {
  test('records into the OpenTelemetry metrics API with messaging semantic-convention names', async () => {
    const reader = new CollectingReader()
    const recorder = new MetricsRecorder('svc', { meterProvider: new MeterProvider({ readers: [reader] }) })
    record(recorder)
    const { resourceMetrics } = await reader.collect()
    const sent = points(resourceMetrics, 'messaging.client.sent.messages')
    expect(sent.map((p) => [p.attributes['messaging.destination.name'], p.attributes['error.type'], p.value])).toEqual(
      expect.arrayContaining([
        ['orders', undefined, 3],
        ['orders', 'KAFKIT_KAFKA', 2],
      ]),
    )
    expect(points(resourceMetrics, 'messaging.client.consumed.messages')[0]?.value).toBe(5)
    expect(points(resourceMetrics, 'kafkit.consumer.lag').map((p) => [p.attributes['messaging.destination.partition.id'], p.value])).toEqual([
      ['0', 12],
      ['1', 3],
    ])
    expect(points(resourceMetrics, 'messaging.process.duration')).toHaveLength(2)
    for (const name of ['kafkit.consumer.messages.failed', 'kafkit.consumer.messages.retried', 'kafkit.consumer.messages.dead_lettered', 'kafkit.consumer.rebalances']) {
      expect(points(resourceMetrics, name)[0]?.value, name).toBe(1)
    }
  })

  test('records into a Prometheus registry; two clients share one registry, told apart by client_id', async () => {
    const registry = new Registry()
    const a = new MetricsRecorder('svc-a', { prometheus: new PrometheusMetrics(registry) })
    const b = new MetricsRecorder('svc-b', { prometheus: new PrometheusMetrics(registry) })
    record(a)
    b.produced({ topic: 'orders', messages: 7, durationS: 0.001 })
    const text = await registry.metrics()
    expect(text).toContain('kafkit_messages_produced_total{client_id="svc-a",topic="orders"} 3')
    expect(text).toContain('kafkit_messages_produced_total{client_id="svc-b",topic="orders"} 7')
    expect(text).toContain('kafkit_produce_errors_total{client_id="svc-a",topic="orders",error_code="KAFKIT_KAFKA"} 2')
    expect(text).toContain('kafkit_messages_consumed_total{client_id="svc-a",group="g1",topic="orders"} 5')
    expect(text).toContain('kafkit_consumer_lag{client_id="svc-a",group="g1",topic="orders",partition="0"} 12')
    expect(text).toContain('kafkit_handler_duration_seconds_count{client_id="svc-a",group="g1",topic="orders",outcome="error"} 1')
    expect(text).toContain('kafkit_messages_retried_total{client_id="svc-a",group="g1",topic="orders",mode="in-place"} 1')
    expect(text).toContain('kafkit_messages_dead_lettered_total{client_id="svc-a",group="g1",topic="orders"} 1')
    expect(text).toContain('kafkit_consumer_rebalances_total{client_id="svc-a",group="g1"} 1')
    expect(text).toContain('kafkit_produce_batch_size_bucket{le="5",client_id="svc-a",topic="orders"} 2')
    a.forgetGroup('g1')
    expect(await registry.metrics()).not.toContain('kafkit_consumer_lag{client_id="svc-a"')
  })
})
