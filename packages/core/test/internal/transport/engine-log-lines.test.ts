import { describe, expect, test } from 'vitest'
import { KafkajsTransport } from '../../../src/internal/transport/kafkajs.js'
import type { LogEntry } from '../../../src/internal/transport/types.js'

// The transport names the Kafka protocol error of kafkajs' lines, so kafkit's log mapping can judge them.
function transport() {
  const entries: LogEntry[] = []
  const t = new KafkajsTransport({
    clientId: 'log-lines',
    brokers: ['localhost:1'],
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 1_000,
    retry: { retries: 0, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 },
    logLevel: 'debug',
    logger: (entry) => void entries.push(entry),
  })
  return { logger: t.engine.logger(), entries }
}

const concurrent = 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing'

describe('kafkajs log lines', () => {
  test("a broker's error answer and the producer's retried send failure carry the protocol error", () => {
    const { logger, entries } = transport()
    logger.namespace('Connection').error('Response AddPartitionsToTxn(key: 24, version: 1)', { error: concurrent, correlationId: 7 })
    logger.namespace('Producer').error(`Failed to send messages: ${concurrent}`, { retryCount: 0, retryTime: 21 })
    logger.namespace('Producer').error('Failed to send messages: something kafkajs made up', { retryCount: 0, retryTime: 21 })
    expect(entries.map((e) => e.protocolError)).toEqual([{ type: 'CONCURRENT_TRANSACTIONS', retriable: true }, { type: 'CONCURRENT_TRANSACTIONS', retriable: true }, undefined])
  })
})
