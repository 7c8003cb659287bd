import kafkajs from 'kafkajs'
import { describe, expect, test } from 'vitest'
import { toKafkitError } from '../../../src/internal/transport/errors.js'

// Real kafkajs error classes, built as kafkajs 2.2.4 builds them on these failures (messages seen on the SASL_SSL test broker).
const { KafkaJSSASLAuthenticationError, KafkaJSConnectionError, KafkaJSConnectionClosedError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>

describe('toKafkitError for security failures', () => {
  test('rejected SASL credentials: KAFKIT_AUTH, never retriable, saying what to check', () => {
    const engine = new KafkaJSSASLAuthenticationError!('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512')
    const error = toKafkitError(engine, {}, 'Producer connect')
    expect(error).toMatchObject({ code: 'KAFKIT_AUTH', retriable: false, cause: engine })
    expect(error.message).toMatch(/^Producer connect failed: SASL authentication failed: .*invalid credentials.*KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD/)
  })

  test('an untrusted broker certificate after the engine gave up: KAFKIT_AUTH naming TLS', () => {
    const inner = new KafkaJSConnectionError!('Connection error: unable to verify the first certificate', { broker: 'b:9093', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
    const engine = new KafkaJSNumberOfRetriesExceeded!(inner, { retryCount: 5, retryTime: 1000 })
    const error = toKafkitError(engine, {}, 'Producer connect')
    expect(error).toMatchObject({ code: 'KAFKIT_AUTH', retriable: false })
    expect(error.message).toMatch(/TLS handshake failed: Connection error: unable to verify the first certificate\. Check that the CA/)
  })

  test('a missing ACL: KAFKIT_AUTH', () => {
    const engine = new KafkaJSProtocolError!({ message: 'Not authorized to access topics: [Topic authorization failed]', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false })
    expect(toKafkitError(engine, { topic: 'orders' }, 'Send')).toMatchObject({ code: 'KAFKIT_AUTH', retriable: false, context: { topic: 'orders', kafkaError: 'TOPIC_AUTHORIZATION_FAILED' } })
  })

  test('a connection the broker closed without answering keeps the engine verdict and hints at TLS/SASL', () => {
    const closed = new KafkaJSConnectionClosedError!('Closed connection', { host: 'b', port: 9093 })
    const error = toKafkitError(closed, {}, 'Producer connect')
    expect(error.code).toBe('KAFKIT_KAFKA')
    expect(error.retriable).toBe(true)
    expect(error.message).toContain('a client without TLS on a TLS listener')
  })

  test('ordinary failures are untouched', () => {
    const engine = new KafkaJSConnectionError!('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', code: 'ECONNREFUSED' })
    const error = toKafkitError(engine, {}, 'Producer connect')
    expect(error.code).toBe('KAFKIT_KAFKA')
    expect(error.message).not.toContain('TLS')
  })
})
