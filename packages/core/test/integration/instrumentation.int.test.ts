// Contract: with an OpenTelemetry SDK present, a message produced inside a span is consumed inside a `process` span of the same trace (W3C traceparent carried in the record's headers); produced/consumed/failed/retried/dead-lettered counts, handler durations, lag and rebalances reach both the OpenTelemetry meter and the Prometheus registry; the health view turns ready once the consumer joined and not ready once it stopped.
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, Kafkit, string } from '../../src/index.js'

const { brokers } = inject('kafka')

class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function sum(collected: ResourceMetrics, name: string, match: Record<string, string> = {}): number {
  const metric = collected.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name)
  let total = 0
  for (const point of metric?.dataPoints ?? []) {
    if (!Object.entries(match).every(([key, value]) => point.attributes[key] === value)) continue
    const value = point.value as number | { count: number }
    total += typeof value === 'number' ? value : value.count
  }
  return total
}

const exporter = new InMemorySpanExporter()
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const reader = new CollectingReader()
const meterProvider = new MeterProvider({ readers: [reader] })
const logLines: Record<string, unknown>[] = []
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') logLines.push(JSON.parse(line))
      done()
    },
  }),
)

let kafka: Kafkit
beforeAll(() => {
  // What an application's OpenTelemetry set-up does before it builds clients.
  trace.setGlobalTracerProvider(tracerProvider)
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  kafka = new Kafkit({ clientId: 'kafkit-instrumentation-test', brokers, logger, metrics: { meterProvider } })
})
afterAll(async () => {
  await kafka.close()
  trace.disable()
  context.disable()
  propagation.disable()
})

describe('instrumentation on a real broker', () => {
  test('traces cross the topic; metrics, logs and health follow the consumer', async () => {
    const Orders = defineTopic({ name: uniqueName('orders'), key: string(), value: json(z.object({ n: z.number() })), partitions: 2, replicationFactor: 1 })
    await kafka.admin().ensureTopics([Orders])
    const groupId = uniqueName('instrumented')

    const producerTracer = tracerProvider.getTracer('test')
    let checkoutTraceId = ''
    await producerTracer.startActiveSpan('checkout', async (span) => {
      checkoutTraceId = span.spanContext().traceId
      await kafka.producer().send(Orders, [1, 2, 3, 4].map((n) => ({ key: `k${n}`, value: { n } })))
      span.end()
    })

    const handled: { n: number; traceId: string | undefined; spanId: string | undefined }[] = []
    const consumer = kafka.consumer({ groupId, fromBeginning: true, shutdown: false, heartbeatIntervalMs: 500 })
    consumer.handle(
      Orders,
      async ({ value }) => {
        const active = trace.getActiveSpan()?.spanContext()
        if (value.n === 3) throw new Error('n=3 is refused')
        handled.push({ n: value.n, traceId: active?.traceId, spanId: active?.spanId })
      },
      { retry: { attempts: 2, backoff: { initialMs: 10, maxMs: 20 }, retryIf: () => true }, deadLetter: true },
    )
    expect(kafka.health().ready).toBe(false)
    await consumer.start()
    let dlq = 0
    consumer.on('dlq.dispatched', () => dlq++)
    await waitFor(() => handled.length === 3 && dlq === 1, { timeoutMs: 60_000, message: '3 handled and 1 dead-lettered' })

    // Tracing: each process span is the child of the send span, in the checkout's trace.
    const spans = exporter.getFinishedSpans()
    const send = spans.find((span) => span.name === `send ${Orders.name}`)!
    expect(send.spanContext().traceId).toBe(checkoutTraceId)
    const processed = spans.filter((span) => span.name === `process ${Orders.name}`)
    expect(processed).toHaveLength(3 + 3) // three successes; n=3 tried three times
    for (const span of processed) {
      expect(span.spanContext().traceId).toBe(checkoutTraceId)
      expect(span.parentSpanContext?.spanId).toBe(send.spanContext().spanId)
      expect(span.attributes['messaging.consumer.group.name']).toBe(groupId)
    }
    for (const entry of handled) expect(processed.map((span) => span.spanContext().spanId)).toContain(entry.spanId)
    // The dead-letter write (made after the handler span ended) joins the trace its record carries.
    expect(spans.some((span) => span.name === `send ${Orders.name}.dlq` && span.spanContext().traceId === checkoutTraceId)).toBe(true)

    // Health: joined with both partitions, polling.
    const health = kafka.health()
    expect(health).toMatchObject({ live: true, ready: true, problems: [] })
    expect(health.consumers[0]).toMatchObject({ groupId, state: 'running', connected: true, assignment: { [Orders.name]: [0, 1] }, assignedPartitions: 2 })
    expect(health.consumers[0]!.lastPollAt).toBeDefined()

    // Prometheus.
    const text = await kafka.prometheus!.metrics()
    const client = 'client_id="kafkit-instrumentation-test"'
    expect(text).toContain(`kafkit_messages_produced_total{${client},topic="${Orders.name}"} 4`)
    expect(text).toContain(`kafkit_messages_produced_total{${client},topic="${Orders.name}.dlq"} 1`)
    expect(text).toContain(`kafkit_messages_consumed_total{${client},group="${groupId}",topic="${Orders.name}"} 4`)
    expect(text).toContain(`kafkit_messages_failed_total{${client},group="${groupId}",topic="${Orders.name}",error_code="KAFKIT_HANDLER"} 3`)
    expect(text).toContain(`kafkit_messages_retried_total{${client},group="${groupId}",topic="${Orders.name}",mode="in-place"} 2`)
    expect(text).toContain(`kafkit_messages_dead_lettered_total{${client},group="${groupId}",topic="${Orders.name}"} 1`)
    expect(text).toContain(`kafkit_handler_duration_seconds_count{${client},group="${groupId}",topic="${Orders.name}",outcome="success"} 3`)
    expect(text).toContain(`kafkit_handler_duration_seconds_count{${client},group="${groupId}",topic="${Orders.name}",outcome="error"} 3`)
    expect(text).toMatch(new RegExp(`kafkit_consumer_lag\\{${client},group="${groupId}",topic="${Orders.name}",partition="[01]"\\} 0`))
    expect(text).toMatch(new RegExp(`kafkit_consumer_rebalances_total\\{${client},group="${groupId}"\\} [1-9]`))

    // OpenTelemetry metrics.
    const { resourceMetrics } = await reader.collect()
    expect(sum(resourceMetrics, 'messaging.client.sent.messages', { 'messaging.destination.name': Orders.name })).toBe(4)
    expect(sum(resourceMetrics, 'messaging.client.consumed.messages', { 'messaging.consumer.group.name': groupId })).toBe(4)
    expect(sum(resourceMetrics, 'messaging.process.duration', { 'messaging.consumer.group.name': groupId })).toBe(6)
    expect(sum(resourceMetrics, 'kafkit.consumer.messages.dead_lettered', { 'messaging.consumer.group.name': groupId })).toBe(1)
    expect(sum(resourceMetrics, 'kafkit.consumer.messages.retried', { 'messaging.consumer.group.name': groupId })).toBe(2)

    // Logs: kafkit's own lines carry group, topic, partition, offset.
    const retryLine = logLines.find((line) => line.component === 'kafkit' && line.msg === 'handler failed; retrying in ' + String(line.delayMs) + ' ms')
    expect(retryLine).toMatchObject({ level: 40, group: groupId, topic: Orders.name, attempt: 1, errorCode: 'KAFKIT_HANDLER' })
    expect(typeof retryLine!.partition).toBe('number')
    expect(typeof retryLine!.offset).toBe('string')
    expect(logLines.find((line) => line.component === 'kafkit' && line.dlqTopic === `${Orders.name}.dlq`)).toMatchObject({ level: 50, group: groupId, topic: Orders.name })

    await consumer.stop()
    // Stopped on purpose, the consumer leaves the report: the service may go on without it.
    expect(kafka.health()).toMatchObject({ ready: true, live: true, consumers: [] })
    expect(await kafka.prometheus!.metrics()).not.toContain(`kafkit_consumer_lag{${client},group="${groupId}"`)
  })
})
