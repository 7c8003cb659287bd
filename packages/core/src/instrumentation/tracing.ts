import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api'
import type { WireHeaders, WireTopicMessages } from '../internal/transport/index.js'
import { VERSION } from './version.js'

/** What a consumed record offers tracing: where it was and its headers. */
export interface TracedRecord {
  topic: string
  partition: number
  offset: string
  key: Buffer | null
  headers: WireHeaders | undefined
}

const headerGetter: TextMapGetter<WireHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key]
    const last = Array.isArray(value) ? value[value.length - 1] : value
    return last === undefined ? undefined : Buffer.isBuffer(last) ? last.toString('utf8') : last
  },
}

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value
  },
}

/** The API's own no-op provider: what the global provider delegates to until an SDK registers one. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate()

/**
 * Kafka tracing through the OpenTelemetry API, following the messaging semantic
 * conventions (v1.27+: `send {topic}` PRODUCER and `process {topic}` CONSUMER spans,
 * `messaging.*` attributes). Without an OpenTelemetry SDK the API is a no-op: no span is
 * recorded and no header is written. With one, the context is carried in the headers the
 * registered propagator writes (W3C `traceparent`/`tracestate` by default).
 * @internal
 */
export class KafkaTracing {
  readonly #tracer: Tracer
  readonly #clientId: string
  readonly #ownProvider: boolean

  constructor(clientId: string, provider?: TracerProvider) {
    this.#clientId = clientId
    this.#ownProvider = provider !== undefined
    this.#tracer = (provider ?? trace).getTracer('@kafkit/core', VERSION)
  }

  /** Whether a handler call gets a `process` span now (see {@link KafkaTracing.process}); the cheap test a caller makes before building its arguments. */
  active(): boolean {
    return !this.#inert()
  }

  /**
   * True while nothing could observe a span or a carried context: the global tracer provider
   * still delegates to the API's no-op (no SDK registered) and no propagator is registered.
   * Then a span would be a non-recording one with no context to pass on, so spans, header
   * extraction and injection are skipped: `send` and `process` run once per handled message
   * and this is their cost without an SDK. Checked on every call, so an SDK registered later
   * takes effect at once.
   */
  #inert(): boolean {
    if (this.#ownProvider) return false
    const global = trace.getTracerProvider()
    return global instanceof ProxyTracerProvider && global.getDelegate() === NOOP_TRACER_PROVIDER && propagation.fields().length === 0
  }

  /**
   * Runs `send` inside a PRODUCER span (child of the active span, e.g. the handler's
   * `process` span; without one, of the trace all the records already carry) and writes that span's context into each message's headers, unless a
   * message already carries a `traceparent` (a forwarded or dead-lettered record keeps its
   * own).
   */
  async send<T>(batch: WireTopicMessages[], send: () => Promise<T>): Promise<T> {
    if (this.#inert()) return send()
    const topics = [...new Set(batch.map((entry) => entry.topic))]
    const count = batch.reduce((sum, entry) => sum + entry.messages.length, 0)
    const attributes: Attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.client.id': this.#clientId,
    }
    if (topics.length === 1) attributes['messaging.destination.name'] = topics[0]
    if (count > 1) attributes['messaging.batch.message_count'] = count
    const parent = trace.getSpan(context.active()) === undefined ? (carriedContext(batch) ?? context.active()) : context.active()
    const span = this.#tracer.startSpan(topics.length === 1 ? `send ${topics[0]}` : 'send', { kind: SpanKind.PRODUCER, attributes }, parent)
    const active = trace.setSpan(parent, span)
    const carrier: Record<string, string> = {}
    propagation.inject(active, carrier, recordSetter)
    if (Object.keys(carrier).length > 0) {
      for (const entry of batch) {
        for (const message of entry.messages) {
          if (message.headers !== undefined && message.headers.traceparent !== undefined) continue
          message.headers = { ...message.headers, ...carrier }
        }
      }
    }
    return finish(span, () => context.with(active, send))
  }

  /**
   * Runs `run` (one handler call) inside a CONSUMER `process` span. One record: the span is a
   * child of the context in its headers, so the trace continues across the topic. Several
   * (a batch handler): the span links to each record's context instead, as the conventions
   * ask. The handler runs with the span active, so spans it starts, and messages it sends,
   * belong to the trace.
   */
  process<T>(records: readonly TracedRecord[], groupId: string, run: () => T | Promise<T>): T | Promise<T> {
    const first = records[0]
    if (first === undefined || this.#inert()) return run()
    let span: Span
    let parent: Context = ROOT_CONTEXT
    try {
      ;({ span, parent } = this.#processSpan(records, first, groupId))
    } catch {
      // A tracer or propagator that throws must not fail the handler: run it untraced.
      return run()
    }
    return finish(span, () => context.with(trace.setSpan(parent, span), run))
  }

  #processSpan(records: readonly TracedRecord[], first: TracedRecord, groupId: string): { span: Span; parent: Context } {
    const attributes: Attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': first.topic,
      'messaging.destination.partition.id': String(first.partition),
      'messaging.consumer.group.name': groupId,
      'messaging.client.id': this.#clientId,
    }
    let parent: Context = ROOT_CONTEXT
    const links: Link[] = []
    if (records.length === 1) {
      attributes['messaging.kafka.offset'] = Number(first.offset)
      if (first.headers !== undefined) parent = propagation.extract(ROOT_CONTEXT, first.headers, headerGetter)
    } else {
      attributes['messaging.batch.message_count'] = records.length
      for (const record of records) {
        if (record.headers === undefined) continue
        const linked = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, record.headers, headerGetter))
        if (linked !== undefined) links.push({ context: linked })
      }
    }
    const span = this.#tracer.startSpan(`process ${first.topic}`, { kind: SpanKind.CONSUMER, attributes, links }, parent)
    return { span, parent }
  }
}

/**
 * The trace the records themselves carry, when they all carry the same one: a retry or
 * dead-letter write (made outside any handler span) then joins the failed message's trace.
 */
function carriedContext(batch: WireTopicMessages[]): Context | undefined {
  let traceparent: string | undefined
  let headers: WireHeaders | undefined
  for (const entry of batch) {
    for (const message of entry.messages) {
      const value = message.headers === undefined ? undefined : headerGetter.get(message.headers, 'traceparent')
      const text = Array.isArray(value) ? value[0] : value
      if (text === undefined || (traceparent !== undefined && text !== traceparent)) return undefined
      traceparent = text
      headers = message.headers
    }
  }
  return headers === undefined ? undefined : propagation.extract(ROOT_CONTEXT, headers, headerGetter)
}

async function finish<T>(span: Span, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    try {
      const code = typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : (error as Error)?.name
      span.setAttribute('error.type', code ?? 'Error')
      span.recordException(error instanceof Error ? error : String(error))
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
    } catch {
      // The span is decoration: the work's own error is what the caller gets.
    }
    throw error
  } finally {
    try {
      span.end()
    } catch {
      // Nor may ending a span turn a success into a failure (a retry, a dead letter).
    }
  }
}
