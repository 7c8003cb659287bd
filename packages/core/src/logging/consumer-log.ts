import type { ConsumerEvents } from '../runtime/events.js'
import type { KafkitLogger } from './logger.js'

/** Anything with the consumer's typed `on` (a `KafkitConsumer`). */
export interface ConsumerEventSource {
  on<K extends keyof ConsumerEvents>(name: K, listener: (payload: ConsumerEvents[K]) => void): () => void
}

function errorFields(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { err: { message: String(error) } }
  const e = error as { name?: string; message?: string; code?: string; retriable?: boolean }
  return { err: { type: e.name, message: e.message, code: e.code, retriable: e.retriable } }
}

/**
 * Logs a consumer's events through `logger`: a child logger per consumer carries `group`,
 * and one per message carries `topic`, `partition` and `offset`, so a log search for a
 * partition or an offset finds every line about it. Successes are not logged (that is
 * what metrics are for); failures are, at the level an operator should care:
 *
 * - `warn`: a retry in place, a move to a retry topic, a failed dead-letter write (it is retried);
 * - `error`: a message that did not decode (poison), a dead-lettered or dropped message, an engine crash;
 * - `info`: start, rebalance, stop.
 *
 * @returns unsubscribes every listener
 */
export function logConsumerEvents(consumer: ConsumerEventSource, logger: KafkitLogger, groupId: string): () => void {
  const log = logger.child({ component: 'kafkit', group: groupId })
  const at = (ref: { topic: string; partition: number; offset: string }) => log.child({ topic: ref.topic, partition: ref.partition, offset: ref.offset })
  const off = [
    consumer.on('consumer.started', (e) => log.info({ topics: e.topics }, 'consumer started')),
    consumer.on('consumer.rebalancing', (e) =>
      log.info({ reason: e.reason, ...(e.errorMessage === undefined ? {} : { errorMessage: e.errorMessage }) }, e.reason === 'member-lost' ? 'consumer lost its group membership (evicted or fenced); joining again' : 'consumer group is rebalancing'),
    ),
    consumer.on('consumer.group-joined', (e) => log.info({ memberId: e.memberId, isLeader: e.isLeader, assignment: e.assignment, joins: e.joins }, 'consumer joined its group')),
    consumer.on('consumer.stopping', (e) => log.info({ reason: e.reason, inFlight: e.inFlight }, 'consumer stopping')),
    consumer.on('consumer.stopped', (e) => log.info({ aborted: e.aborted }, 'consumer stopped')),
    consumer.on('consumer.crash', (e) => log.error({ ...errorFields(e.error), restart: e.restart }, e.restart ? 'consumer crashed; the engine restarts it' : 'consumer crashed and stopped')),
    consumer.on('consumer.retry', (e) =>
      at(e).warn({ attempt: e.attempt, delayMs: e.delayMs, errorCode: e.errorCode, errorMessage: e.errorMessage }, `handler failed; retrying in ${e.delayMs} ms`),
    ),
    consumer.on('consumer.retry-topic', (e) => at(e).warn({ retryTopic: e.retryTopic, dueAt: new Date(e.dueAt).toISOString(), errorCode: e.errorCode }, `handler failed; moved to ${e.retryTopic}`)),
    consumer.on('consumer.poison', (e) => at(e).error({ errorCode: e.errorCode, errorMessage: e.errorMessage }, 'message does not decode (poison)')),
    consumer.on('dlq.dispatched', (e) => at(e).error({ dlqTopic: e.dlqTopic, errorCode: e.errorCode, attempts: e.attempts }, `message dead-lettered to ${e.dlqTopic}`)),
    consumer.on('consumer.dropped', (e) => at(e).error({ errorCode: e.errorCode, errorMessage: e.errorMessage }, 'message failed and was dropped (no dead-letter topic)')),
    // At the record whose partition the write holds; `target` is the retry or dead-letter topic.
    consumer.on('consumer.write-failed', (e) => at(e.held).warn({ target: e.topic, retryInMs: e.retryInMs, ...errorFields(e.error) }, `write to ${e.topic} failed; retrying in ${e.retryInMs} ms`)),
  ]
  return () => {
    for (const unsubscribe of off) unsubscribe()
  }
}
