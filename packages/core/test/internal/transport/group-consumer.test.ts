import kafkajs from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { createConsumerDeps, restartsAfter } from '../../../src/internal/transport/group-consumer.js'
import type { KafkajsTransport } from '../../../src/internal/transport/kafkajs.js'
import type { TransportProducerOptions } from '../../../src/internal/transport/types.js'

// The retry/dead-letter producer a consumer gets from its transport.

describe('createConsumerDeps', () => {
  it('asks for an idempotent producer with one request in flight (kafkajs keeps sequences right only then)', () => {
    const asked: TransportProducerOptions[] = []
    const transport = {
      producer: (options: TransportProducerOptions) => (asked.push(options), { connect: async () => {}, disconnect: async () => {}, send: async () => [] }),
      admin: () => ({}),
      config: { requestTimeoutMs: 30_000 },
    } as unknown as KafkajsTransport
    createConsumerDeps(transport)
    expect(asked).toMatchObject([{ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, deliveryTimeoutMs: 120_000, requestTimeoutMs: 30_000 }])
  })
})

// Real kafkajs error classes (its public exports), as a crashed fetch loop reports them.
const { KafkaJSSASLAuthenticationError, KafkaJSProtocolError, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>

describe('restartsAfter (consumers and pipelines share one group consumer)', () => {
  it('restarts after transient crashes', () => {
    expect(restartsAfter(new KafkaJSConnectionError!('Connection error: ECONNREFUSED'))).toBe(true)
    expect(restartsAfter(new KafkaJSNumberOfRetriesExceeded!(new KafkaJSConnectionError!('Connection timeout'), { retryCount: 5, retryTime: 1000 }))).toBe(true)
    expect(restartsAfter(new KafkaJSProtocolError!({ message: 'not coordinator', type: 'NOT_COORDINATOR', code: 16, retriable: true }))).toBe(true)
  })

  it('does not restart after rejected credentials or a missing ACL', () => {
    expect(restartsAfter(new KafkaJSSASLAuthenticationError!('SASL SCRAM SHA512 authentication failed'))).toBe(false)
    expect(restartsAfter(new KafkaJSProtocolError!({ message: 'Not authorized to access group', type: 'GROUP_AUTHORIZATION_FAILED', code: 30, retriable: false }))).toBe(false)
  })
})
