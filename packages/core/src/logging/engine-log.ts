import { enabled, type KafkitLogger, type KafkitLogLevel } from './logger.js'
import { scrubber } from './redact.js'

/**
 * One log line of the Kafka engine underneath kafkit, in kafkit's terms (no engine type):
 * what kafkit's engine log sink receives and {@link engineLineLevel} judges.
 */
export interface EngineLogLine {
  /** The level the engine logged the line at. */
  level: 'error' | 'warn' | 'info' | 'debug'
  /** The engine component, e.g. `Producer`, `Connection`, `Runner`. */
  namespace: string
  message: string
  /** Structured fields of the line (broker, clientId, error…). */
  extra: Record<string, unknown>
  /**
   * For a broker's error answer the engine logged (`Response Heartbeat(…)`): the Kafka
   * protocol error and whether the engine retries it by itself.
   */
  protocolError?: { type: string; retriable: boolean }
}

/**
 * Protocol errors the engine answers by itself (finding the coordinator again, rejoining,
 * waiting for a leader) that kafkajs nevertheless logs at ERROR. A healthy service sees
 * them at every start and rebalance; they are logged at `debug`. If the engine gives up,
 * the operation fails and that failure is reported (and logged) where it surfaces.
 */
const EXPECTED_CHURN = new Set([
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'GROUP_LOAD_IN_PROGRESS',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REBALANCE_IN_PROGRESS',
  'MEMBER_ID_REQUIRED',
  'UNKNOWN_TOPIC_OR_PARTITION',
  // Right after a commit the broker answers the next transaction's first request with this
  // until the commit markers are written (milliseconds): every busy transactional producer
  // sees it, and the engine retries it (the Java client logs it at debug too).
  'CONCURRENT_TRANSACTIONS',
])

/**
 * The level kafkit logs an engine line at. kafkajs logs every error answer of a broker at
 * ERROR, including the ones it retries and recovers from:
 *
 * - expected churn (coordinator moving or loading, rebalance in progress, leader election,
 *   a member id handshake, a transaction's markers still being written after its commit):
 *   `debug`, whether it comes as the broker's answer (`Connection`) or as the producer's
 *   "Failed to send messages" line before its retry;
 * - any other error the engine retries by itself: `warn`;
 * - `Topic creation errors` (kafkit's `ensureTopics` racing another creator: the topic
 *   exists, which is what was wanted; a real failure is thrown by ensureTopics): `debug`.
 *
 * - the consumer runner's "group is rebalancing, re-joining" warning: `debug`.
 *
 * Everything else keeps its level.
 */
export function engineLineLevel(entry: EngineLogLine): EngineLogLine['level'] {
  // kafkajs warns "The group is rebalancing, re-joining" whenever a member joins or leaves:
  // ordinary group life, which kafkit's consumer already logs at info.
  if (entry.level === 'warn' && entry.namespace === 'Runner' && (entry.protocolError?.type === 'REBALANCE_IN_PROGRESS' || /rebalancing/i.test(String(entry.extra.error ?? '')))) {
    return 'debug'
  }
  if (entry.level !== 'error') return entry.level
  const problem = entry.protocolError
  if (problem !== undefined) {
    if (EXPECTED_CHURN.has(problem.type)) return 'debug'
    if (problem.retriable) return 'warn'
  }
  if (entry.extra.error === 'Topic creation errors') return 'debug'
  return entry.level
}

/** Options of {@link engineLogSink}. */
export interface EngineLogSinkOptions {
  /** Lines below this level are dropped. */
  level: KafkitLogLevel
  /** Strings that must never reach a log line (passwords, keys): replaced by `[redacted]`. */
  secrets?: readonly string[]
}

/**
 * Where the engine's (kafkajs) log lines go: one pino line each, at the level
 * {@link engineLineLevel} decides, with kafkajs' fields kept as structured fields and
 * `component: 'kafkajs'`, `namespace` (Connection, Consumer, …) added.
 */
export function engineLogSink(logger: KafkitLogger, options: EngineLogSinkOptions): (entry: EngineLogLine) => void {
  const engine = logger.child({ component: 'kafkajs' })
  // kafkit's own delivery path logs through the transport too, as kafkit.
  const delivery = logger.child({ component: 'kafkit' })
  const scrub = scrubber(options.secrets ?? [])
  return (entry) => {
    const level = engineLineLevel(entry)
    if (!enabled(options.level, level)) return
    const fields: Record<string, unknown> = { namespace: entry.namespace, ...scrub(entry.extra) }
    if (entry.protocolError !== undefined) fields.kafkaError = entry.protocolError.type
    ;(entry.namespace === 'Delivery' ? delivery : engine)[level](fields, scrub(entry.message))
  }
}
