import type { ConnectionOptions } from 'node:tls'
import type { LogLevel as EngineLogLevel, LogEntry } from '../internal/transport/index.js'
import { engineLogSink } from '../logging/engine-log.js'
import { createDefaultLogger, type KafkitLogger, type KafkitLogLevel, levelOf } from '../logging/logger.js'
import { type MetricsOptions, Telemetry, type TracingOptions } from './telemetry.js'

/** The parts of a validated client config that observability needs. */
interface ObservedConfig {
  clientId: string
  logLevel?: KafkitLogLevel | 'nothing' | undefined
  logger?: KafkitLogger | undefined
  metrics?: MetricsOptions | undefined
  tracing?: boolean | TracingOptions | undefined
  ssl?: boolean | ConnectionOptions | Record<string, unknown> | undefined
  sasl?: { password: string } | undefined
  schemaRegistry?: { auth?: { password: string } | undefined } | undefined
}

/**
 * Builds a client's logger, engine log sink and telemetry from its config. The sink scrubs
 * every configured secret (SASL password, TLS key and passphrase, registry password) from
 * engine lines, whatever the logger.
 * @internal
 */
export function setUpObservability(config: ObservedConfig): { telemetry: Telemetry; engineLogLevel: EngineLogLevel; engineLogger: (entry: LogEntry) => void } {
  const wanted = config.logLevel === 'nothing' ? 'silent' : config.logLevel
  const logger = config.logger ?? createDefaultLogger(wanted ?? 'info')
  const level = wanted ?? levelOf(logger)
  const telemetry = new Telemetry(config.clientId, logger, {
    ...(config.metrics === undefined ? {} : { metrics: config.metrics }),
    ...(config.tracing === undefined ? {} : { tracing: config.tracing }),
  })
  const ssl = typeof config.ssl === 'object' && config.ssl !== null ? (config.ssl as { key?: unknown; passphrase?: unknown }) : {}
  const secrets = [config.sasl?.password, ssl.passphrase, ssl.key, config.schemaRegistry?.auth?.password].filter((value): value is string => typeof value === 'string')
  return {
    telemetry,
    engineLogLevel: level === 'silent' ? 'nothing' : level === 'trace' ? 'debug' : level,
    engineLogger: engineLogSink(logger, { level, secrets }),
  }
}
