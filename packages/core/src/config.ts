import type { ConnectionOptions } from 'node:tls'
import { z } from 'zod'
import { ms } from './internal/options.js'
import type { LogEntry, LogLevel } from './internal/transport/index.js'

export type { LogEntry, LogLevel }

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
  /** Engine log lines at this level and above reach `logger`. @default 'warn' */
  logLevel?: LogLevel
  /** Where engine log lines go. @default one JSON line per entry on stderr */
  logger?: (entry: LogEntry) => void
}

const defaultLogger = (entry: LogEntry): void => {
  process.stderr.write(`${JSON.stringify({ level: entry.level, namespace: entry.namespace, message: entry.message, ...entry.extra })}\n`)
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
  logLevel: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).default('warn'),
  logger: z.custom<(entry: LogEntry) => void>((value) => typeof value === 'function', 'must be a function').default(() => defaultLogger),
})
