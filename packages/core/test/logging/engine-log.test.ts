import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, test } from 'vitest'
import { engineLineLevel, type EngineLogLine } from '../../src/index.js'
import { engineLogSink } from '../../src/logging/engine-log.js'
import { logConsumerEvents } from '../../src/logging/consumer-log.js'
import { EventHub, type ConsumerEvents } from '../../src/runtime/events.js'

/** A real pino logger writing JSON lines into an array. */
function memoryLogger(level = 'debug') {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line))
      done()
    },
  })
  return { logger: pino({ level }, stream), lines }
}

// Lines as kafkajs 2.2.4 logs them (namespace, message, extras), with the protocol error the transport attaches.
const coordinatorNotAvailable: EngineLogLine = {
  level: 'error',
  namespace: 'Connection',
  message: 'Response GroupCoordinator(key: 10, version: 2)',
  extra: { broker: 'localhost:9092', clientId: 'svc', error: 'The group coordinator is not available', correlationId: 1, size: 55 },
  protocolError: { type: 'GROUP_COORDINATOR_NOT_AVAILABLE', retriable: true },
}
const rebalancing: EngineLogLine = {
  level: 'error',
  namespace: 'Connection',
  message: 'Response Heartbeat(key: 12, version: 3)',
  extra: { error: 'The group is rebalancing, so a rejoin is needed' },
  protocolError: { type: 'REBALANCE_IN_PROGRESS', retriable: false },
}
const topicCreation: EngineLogLine = { level: 'error', namespace: 'Connection', message: 'Response CreateTopics(key: 19, version: 3)', extra: { error: 'Topic creation errors' } }
const otherRetriable: EngineLogLine = { level: 'error', namespace: 'Connection', message: 'Response Produce(key: 0, version: 7)', extra: { error: 'Disk error when trying to access log file on the disk' }, protocolError: { type: 'KAFKA_STORAGE_ERROR', retriable: true } }
const authFailure: EngineLogLine = { level: 'error', namespace: 'Connection', message: 'Response SaslAuthenticate(key: 36, version: 1)', extra: { error: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512' }, protocolError: { type: 'SASL_AUTHENTICATION_FAILED', retriable: false } }

describe('engineLineLevel', () => {
  test('benign coordinator, rebalance and topic-exists lines drop to debug; other retriable errors to warn', () => {
    expect(engineLineLevel(coordinatorNotAvailable)).toBe('debug')
    expect(engineLineLevel(rebalancing)).toBe('debug')
    expect(engineLineLevel(topicCreation)).toBe('debug')
    expect(engineLineLevel(otherRetriable)).toBe('warn')
  })

  test('CONCURRENT_TRANSACTIONS after a commit (broker answer and the producer line before its retry) drops to debug; other retried send failures to warn', () => {
    const concurrent = 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing'
    const answer: EngineLogLine = {
      level: 'error',
      namespace: 'Connection',
      message: 'Response AddPartitionsToTxn(key: 24, version: 1)',
      extra: { broker: 'localhost:9092', clientId: 'svc', error: concurrent, correlationId: 7, size: 55 },
      protocolError: { type: 'CONCURRENT_TRANSACTIONS', retriable: true },
    }
    const retried: EngineLogLine = {
      level: 'error',
      namespace: 'Producer',
      message: `Failed to send messages: ${concurrent}`,
      extra: { retryCount: 0, retryTime: 21 },
      protocolError: { type: 'CONCURRENT_TRANSACTIONS', retriable: true },
    }
    expect(engineLineLevel(answer)).toBe('debug')
    expect(engineLineLevel(retried)).toBe('debug')
    expect(engineLineLevel({ ...retried, message: 'Failed to send messages: This server is not the leader for that topic-partition', protocolError: { type: 'NOT_LEADER_FOR_PARTITION', retriable: true } })).toBe('debug')
    expect(engineLineLevel({ ...retried, message: 'Failed to send messages: Disk error when trying to access log file on the disk', protocolError: { type: 'KAFKA_STORAGE_ERROR', retriable: true } })).toBe('warn')
  })

  test("the runner's rejoin warning on a rebalance drops to debug; its other warnings stay", () => {
    const rejoin: EngineLogLine = {
      level: 'warn',
      namespace: 'Runner',
      message: 'The group is rebalancing, re-joining',
      extra: { groupId: 'g', memberId: 'm', error: 'The group is rebalancing, so a rejoin is needed' },
    }
    expect(engineLineLevel(rejoin)).toBe('debug')
    expect(engineLineLevel({ ...rejoin, message: 'Consumer has been fenced', extra: { groupId: 'g' } })).toBe('warn')
  })

  test('real failures keep ERROR, other levels are untouched', () => {
    expect(engineLineLevel(authFailure)).toBe('error')
    expect(engineLineLevel({ level: 'error', namespace: 'Consumer', message: 'Crash: KafkaJSNonRetriableError', extra: {} })).toBe('error')
    expect(engineLineLevel({ level: 'info', namespace: 'Consumer', message: 'Starting', extra: {} })).toBe('info')
  })
})

describe('engineLogSink', () => {
  test('writes structured pino lines at the mapped level, with component, namespace and kafkaError', () => {
    const { logger, lines } = memoryLogger()
    const sink = engineLogSink(logger, { level: 'debug' })
    sink(coordinatorNotAvailable)
    sink(authFailure)
    expect(lines).toEqual([
      expect.objectContaining({ level: 20, component: 'kafkajs', namespace: 'Connection', kafkaError: 'GROUP_COORDINATOR_NOT_AVAILABLE', broker: 'localhost:9092', msg: 'Response GroupCoordinator(key: 10, version: 2)' }),
      expect.objectContaining({ level: 50, kafkaError: 'SASL_AUTHENTICATION_FAILED' }),
    ])
  })

  test('a healthy start at the default info level shows none of the benign lines', () => {
    const { logger, lines } = memoryLogger('info')
    const sink = engineLogSink(logger, { level: 'info' })
    for (const entry of [coordinatorNotAvailable, rebalancing, topicCreation]) sink(entry)
    expect(lines).toEqual([])
  })

  test('scrubs configured secrets from message and fields, at any depth', () => {
    const { logger, lines } = memoryLogger()
    const sink = engineLogSink(logger, { level: 'debug', secrets: ['s3cr3t-pw', 'abc'] })
    sink({ level: 'debug', namespace: 'SASL', message: 'sending s3cr3t-pw', extra: { nested: { list: ['x s3cr3t-pw y'] }, short: 'abc' } })
    const text = JSON.stringify(lines)
    expect(text).not.toContain('s3cr3t-pw')
    expect(text).toContain('[redacted]')
    // values shorter than 4 characters are not treated as secrets
    expect(lines[0]).toMatchObject({ short: 'abc' })
  })

  test('drops lines below its level even when the logger would take them', () => {
    const { logger, lines } = memoryLogger('debug')
    engineLogSink(logger, { level: 'warn' })({ level: 'info', namespace: 'Consumer', message: 'Starting', extra: {} })
    expect(lines).toEqual([])
  })
})

describe('logConsumerEvents', () => {
  test('logs failures through child loggers that carry group, topic, partition and offset', () => {
    const { logger, lines } = memoryLogger()
    const hub = new EventHub<ConsumerEvents>()
    const off = logConsumerEvents(hub, logger, 'analytics')
    hub.emit('consumer.retry', { groupId: 'analytics', topic: 'orders', partition: 2, offset: '41', attempt: 1, delayMs: 200, errorCode: 'KAFKIT_HANDLER', errorMessage: 'boom' })
    hub.emit('dlq.dispatched', { groupId: 'analytics', topic: 'orders', partition: 2, offset: '41', dlqTopic: 'orders.dlq', errorCode: 'KAFKIT_HANDLER', attempts: 3 })
    hub.emit('consumer.handled', { groupId: 'analytics', topic: 'orders', partition: 2, offset: '42', durationMs: 1, attempt: 1 })
    off()
    hub.emit('consumer.poison', { groupId: 'analytics', topic: 'orders', partition: 0, offset: '1', errorCode: 'KAFKIT_SERDE_DECODE', errorMessage: 'bad' })
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, component: 'kafkit', group: 'analytics', topic: 'orders', partition: 2, offset: '41', attempt: 1, errorCode: 'KAFKIT_HANDLER' }),
      expect.objectContaining({ level: 50, group: 'analytics', topic: 'orders', partition: 2, offset: '41', dlqTopic: 'orders.dlq' }),
    ])
  })
})
