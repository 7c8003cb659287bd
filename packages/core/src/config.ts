import type { ConnectionOptions } from 'node:tls'
import { z } from 'zod'
import type { SchemaRegistryConnection } from './config/env.js'
import type { MetricsOptions, TracingOptions } from './instrumentation/telemetry.js'
import { ms } from './internal/options.js'
import type { KafkitLogger, KafkitLogLevel } from './logging/logger.js'

/** SASL credentials. */
export interface SaslConfig {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'
  username: string
  password: string
}

/** Retries of engine requests (metadata, produce, admin) on retriable errors. */
export interface RetryConfig {
  /** Retries after the first try. @default 5 */
  retries?: number
  /** First backoff; it doubles (with jitter) on each retry. @default 300 */
  initialRetryTimeMs?: number
  /** Cap of one backoff. @default 30_000 */
  maxRetryTimeMs?: number
}

/** Options of `new Kafkit(config)`. Validated when the client is built. */
export interface KafkitConfig {
  /** Names this service to the brokers (quotas, logs, ACLs). */
  clientId: string
  /** Bootstrap brokers, `host:port`: an array or a comma-separated string. */
  brokers: string[] | string
  /** TLS: `true` for the system CAs, or Node TLS options (ca, cert, key…). @default false */
  ssl?: boolean | ConnectionOptions
  /** SASL authentication (use together with `ssl` outside a trusted network). */
  sasl?: SaslConfig
  /** Time to open a TCP connection to a broker. @default 3_000 */
  connectionTimeoutMs?: number
  /** Time to wait for a broker's answer to a request. @default 30_000 */
  requestTimeoutMs?: number
  /** Retries of retriable engine errors. */
  retry?: RetryConfig
  /**
   * Lines below this level are not logged: kafkit's own and the engine's (kafkajs). `nothing`
   * is an alias of `silent`.
   * @default the level of `logger`; `'info'` for the default logger
   */
  logLevel?: KafkitLogLevel | 'nothing'
  /**
   * Where kafkit and kafkajs log: a pino logger (or anything with pino's `child`, `error`,
   * `warn`, `info`, `debug`). kafkajs lines carry `component: 'kafkajs'` and `namespace`;
   * kafkit's carry `component: 'kafkit'` and `group`, `topic`, `partition`, `offset` where
   * they apply.
   * @default pino at `logLevel`, one JSON line per entry on stdout, secrets redacted
   */
  logger?: KafkitLogger
  /** Metrics: OpenTelemetry (always, a no-op without an SDK) and a Prometheus registry. */
  metrics?: MetricsOptions
  /**
   * Tracing through the OpenTelemetry API: `send`/`process` spans, W3C trace context in
   * headers. A no-op until an OpenTelemetry SDK is registered; `false` turns it off.
   * @default true
   */
  tracing?: boolean | TracingOptions
  /**
   * How to reach the schema registry, for `@kafkit/avro`'s `new SchemaRegistry(kafka.schemaRegistry)`.
   * `Kafkit.fromEnv()` fills it from `SCHEMA_REGISTRY_URL` and its credentials.
   */
  schemaRegistry?: SchemaRegistryConnection
}

const broker = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')

/** The schema of {@link KafkitConfig}, with its defaults. */
export const kafkitConfigSchema = z.strictObject({
  clientId: z.string().min(1, 'must not be empty'),
  brokers: z
    .union([z.array(broker), z.string().transform((list) => list.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))])
    .pipe(z.array(broker).min(1, 'needs at least one host:port')),
  ssl: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
  sasl: z
    .strictObject({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      username: z.string().min(1),
      password: z.string(),
    })
    .optional(),
  connectionTimeoutMs: ms().default(3_000),
  requestTimeoutMs: ms().default(30_000),
  retry: z
    .strictObject({
      retries: z.number().int().min(0).default(5),
      initialRetryTimeMs: ms().default(300),
      maxRetryTimeMs: ms().default(30_000),
    })
    .default({ retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000 }),
  logLevel: z.enum(['silent', 'nothing', 'error', 'warn', 'info', 'debug', 'trace']).optional(),
  logger: z
    .custom<KafkitLogger>((value) => typeof value === 'object' && value !== null && typeof (value as KafkitLogger).child === 'function' && typeof (value as KafkitLogger).error === 'function', 'must be a pino logger (child, error, warn, info, debug)')
    .optional(),
  metrics: z
    .strictObject({
      meterProvider: z.custom<NonNullable<MetricsOptions['meterProvider']>>((value) => typeof value === 'object' && value !== null && typeof (value as { getMeter?: unknown }).getMeter === 'function', 'must be an OpenTelemetry MeterProvider').optional(),
      prometheus: z.union([z.boolean(), z.custom<Exclude<MetricsOptions['prometheus'], boolean | undefined>>((value) => typeof value === 'object' && value !== null && typeof (value as { metrics?: unknown }).metrics === 'function', 'must be a prom-client Registry')]).optional(),
    })
    .optional(),
  tracing: z
    .union([
      z.boolean(),
      z.strictObject({
        tracerProvider: z.custom<NonNullable<TracingOptions['tracerProvider']>>((value) => typeof value === 'object' && value !== null && typeof (value as { getTracer?: unknown }).getTracer === 'function', 'must be an OpenTelemetry TracerProvider').optional(),
      }),
    ])
    .optional(),
  schemaRegistry: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
      auth: z.strictObject({ username: z.string().min(1), password: z.string() }).optional(),
      requestTimeoutMs: ms().optional(),
    })
    .optional(),
})
