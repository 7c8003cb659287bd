import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, describe, expect, test } from 'vitest'
import type { WireTopicMessages } from '../../src/internal/transport/index.js'
import { KafkaTracing, type TracedRecord } from '../../src/instrumentation/tracing.js'

const batch = (): WireTopicMessages[] => [{ topic: 'orders', messages: [{ key: Buffer.from('k'), value: Buffer.from('v') }, { key: null, value: Buffer.from('w'), headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }] }]
const asRecord = (message: WireTopicMessages['messages'][number], offset: string): TracedRecord => ({ topic: 'orders', partition: 0, offset, key: message.key, headers: message.headers })

describe('without an OpenTelemetry SDK', () => {
  test('sends and handles as usual, writes no header, records nothing', async () => {
    const tracing = new KafkaTracing('svc')
    const wire = batch()
    await expect(tracing.send(wire, async () => 'sent')).resolves.toBe('sent')
    expect(wire[0]!.messages[0]!.headers).toBeUndefined()
    await expect(tracing.process([asRecord(wire[0]!.messages[0]!, '1')], 'g', async () => 'handled')).resolves.toBe('handled')
  })
})

describe('with an OpenTelemetry SDK', () => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  afterAll(() => {
    context.disable()
    propagation.disable()
  })
  const tracing = new KafkaTracing('svc', provider)
  const parentTracer = provider.getTracer('test')

  test('send: a PRODUCER span under the active span, its traceparent written into headers that lack one', async () => {
    exporter.reset()
    const wire = batch()
    await parentTracer.startActiveSpan('request', async (request) => {
      await tracing.send(wire, async () => [])
      request.end()
    })
    const send = exporter.getFinishedSpans().find((span) => span.name === 'send orders')!
    const request = exporter.getFinishedSpans().find((span) => span.name === 'request')!
    expect(send.kind).toBe(SpanKind.PRODUCER)
    expect(send.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.destination.name': 'orders', 'messaging.batch.message_count': 2, 'messaging.client.id': 'svc' })
    expect(send.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
    expect(wire[0]!.messages[0]!.headers?.traceparent).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`)
    // a record that already carries a trace keeps it (forwarded, dead-lettered)
    expect(wire[0]!.messages[1]!.headers?.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  })

  test('process: one record continues its trace; the handler runs with the span active', async () => {
    exporter.reset()
    const wire = batch()
    await tracing.send(wire, async () => [])
    let activeInHandler: string | undefined
    await tracing.process([asRecord(wire[0]!.messages[0]!, '7')], 'analytics', async () => {
      activeInHandler = trace.getActiveSpan()?.spanContext().spanId
    })
    const [send, processSpan] = exporter.getFinishedSpans()
    expect(processSpan!.name).toBe('process orders')
    expect(processSpan!.kind).toBe(SpanKind.CONSUMER)
    expect(processSpan!.spanContext().traceId).toBe(send!.spanContext().traceId)
    expect(processSpan!.parentSpanContext?.spanId).toBe(send!.spanContext().spanId)
    expect(processSpan!.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'messaging.consumer.group.name': 'analytics', 'messaging.destination.partition.id': '0', 'messaging.kafka.offset': 7 })
    expect(activeInHandler).toBe(processSpan!.spanContext().spanId)
  })

  test('process: a batch links to each record instead of choosing a parent; a failure marks the span', async () => {
    exporter.reset()
    const wire = batch()
    await tracing.send(wire, async () => [])
    const failure = Object.assign(new Error('boom'), { code: 'KAFKIT_HANDLER' })
    await expect(tracing.process(wire[0]!.messages.map((m, i) => asRecord(m, String(i))), 'analytics', async () => Promise.reject(failure))).rejects.toBe(failure)
    const processSpan = exporter.getFinishedSpans().find((span) => span.name === 'process orders')!
    expect(processSpan.parentSpanContext).toBeUndefined()
    expect(processSpan.links.map((link) => link.context.traceId).sort()).toEqual([exporter.getFinishedSpans()[0]!.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c'].sort())
    expect(processSpan.status.code).toBe(SpanStatusCode.ERROR)
    expect(processSpan.attributes['error.type']).toBe('KAFKIT_HANDLER')
  })
})
