import { EventEmitter } from 'node:events'
import kafkajs from 'kafkajs'
import { describe, expect, test } from 'vitest'
import { watchConnection } from '../../../src/internal/transport/connection-watch.js'
import { toKafkitError } from '../../../src/internal/transport/errors.js'

// Real kafkajs error classes, built as kafkajs 2.2.4 builds them on these failures (messages seen on the SASL_SSL test broker).
const { KafkaJSSASLAuthenticationError, KafkaJSConnectionError, KafkaJSConnectionClosedError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>

/** A Kafka answer frame: its 4-byte size, then `size` bytes. */
const frame = (size: number) => Buffer.concat([Buffer.from([0, 0, 0, size]), Buffer.alloc(size)])

/** A watched connection to `address` that receives `chunks`, then is closed by the broker (its `end`). */
function closeAfter(address: string, ...chunks: Buffer[]): void {
  const socket = new EventEmitter()
  watchConnection(socket, address)
  for (const chunk of chunks) socket.emit('data', chunk)
  socket.emit('end')
}

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

  test('a connection the broker closed before answering past the version handshake keeps the engine verdict and hints at TLS/SASL', () => {
    // A TLS listener spoken to in plaintext: closed before any answer.
    closeAfter('tls-listener:9093')
    const closed = new KafkaJSConnectionClosedError!('Closed connection', { host: 'tls-listener', port: 9093 })
    const error = toKafkitError(closed, {}, 'Producer connect')
    expect(error.code).toBe('KAFKIT_KAFKA')
    expect(error.retriable).toBe(true)
    expect(error.message).toContain('a client without TLS on a TLS listener')
    // A TLS listener that sends its alert first: no whole Kafka answer in it.
    closeAfter('tls-alert:9093', Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]))
    expect(toKafkitError(new KafkaJSConnectionClosedError!('Closed connection', { host: 'tls-alert', port: 9093 }), {}, 'Producer connect').message).toContain('without TLS on a TLS listener')
    // A SASL listener: ApiVersions answered, then closed on the next request of a client without SASL.
    closeAfter('sasl-listener:9094', frame(12))
    expect(toKafkitError(new KafkaJSConnectionClosedError!('Closed connection', { host: 'sasl-listener', port: 9094 }), {}, 'subscribe').message).toContain('without SASL on a SASL listener')
    // A SASL authentication the broker cut short.
    expect(toKafkitError(new KafkaJSConnectionError!('Connection closed by the server', { broker: 'b:9094' }), {}, 'Producer connect').message).toContain('a client without TLS on a TLS listener')
  })

  test('an established connection the broker closes later (a restart, its idle timeout) gets no TLS/SASL hint', () => {
    // ApiVersions and a Metadata answer, the second split across chunks, then the close.
    const metadata = frame(40)
    closeAfter('established:9092', frame(12), metadata.subarray(0, 3), metadata.subarray(3))
    const error = toKafkitError(new KafkaJSConnectionClosedError!('Closed connection', { host: 'established', port: 9092 }), {}, 'Send')
    expect(error).toMatchObject({ code: 'KAFKIT_KAFKA', retriable: true })
    expect(error.message).toBe('Send failed: Closed connection')
    // And a broker of which nothing is known: no hint either.
    expect(toKafkitError(new KafkaJSConnectionClosedError!('Closed connection', { host: 'unknown', port: 9092 }), {}, 'Send').message).not.toContain('TLS')
  })

  test('ordinary failures are untouched', () => {
    const engine = new KafkaJSConnectionError!('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', code: 'ECONNREFUSED' })
    const error = toKafkitError(engine, {}, 'Producer connect')
    expect(error.code).toBe('KAFKIT_KAFKA')
    expect(error.message).not.toContain('TLS')
  })
})
