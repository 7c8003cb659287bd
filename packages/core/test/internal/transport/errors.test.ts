import kafkajs from 'kafkajs'
import { describe, expect, test } from 'vitest'
import { isKafkitError, KafkitError } from '../../../src/index.js'
import { toKafkitError } from '../../../src/internal/transport/errors.js'

// Real kafkajs error classes (its public exports), as the engine throws them.
const { KafkaJSProtocolError, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSNonRetriableError } = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>

describe('toKafkitError', () => {
  test('keeps a retriable protocol error retriable, with the engine error as cause', () => {
    const engine = new KafkaJSProtocolError!({ message: 'This server does not host this topic-partition', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true })
    const error = toKafkitError(engine, { topic: 'orders' }, 'Send')
    expect(isKafkitError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'KAFKIT_KAFKA', retriable: true, cause: engine, context: { topic: 'orders', kafkaError: 'UNKNOWN_TOPIC_OR_PARTITION', engineError: 'KafkaJSProtocolError' } })
    expect(error.message).toContain('Send failed')
  })

  test('keeps a non-retriable verdict', () => {
    const engine = new KafkaJSProtocolError!({ message: 'Topic authorization failed', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false })
    expect(toKafkitError(engine).retriable).toBe(false)
    expect(toKafkitError(new KafkaJSNonRetriableError!('nope')).retriable).toBe(false)
    expect(toKafkitError(new KafkaJSConnectionError!('Connection error: ECONNREFUSED')).retriable).toBe(true)
  })

  test('names the root cause of exhausted retries and keeps its verdict', () => {
    // kafkajs gave up retrying a transient failure: trying again later still may help.
    const root = new KafkaJSConnectionError!('Connection timeout')
    const engine = new KafkaJSNumberOfRetriesExceeded!(root, { retryCount: 5, retryTime: 1000 })
    const error = toKafkitError(engine)
    expect(error.retriable).toBe(true)
    expect(error.message).toContain('Connection timeout')
    // …and a root cause that no retry fixes stays non-retriable.
    const fatal = new KafkaJSProtocolError!({ message: 'The request included a message larger than the max message size', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false })
    expect(toKafkitError(new KafkaJSNumberOfRetriesExceeded!(fatal, { retryCount: 0, retryTime: 0 })).retriable).toBe(false)
    expect(toKafkitError(new KafkaJSNonRetriableError!(fatal)).retriable).toBe(false)
  })

  test("kafkajs' plain 'Broker not connected' (a connection gone or never up) is retriable, also under kafkajs' retry wrapper", () => {
    const notConnected = new Error('Broker not connected')
    expect(toKafkitError(notConnected, {}, 'List topics')).toMatchObject({ code: 'KAFKIT_KAFKA', retriable: true })
    expect(toKafkitError(new KafkaJSNumberOfRetriesExceeded!(notConnected, { retryCount: 5, retryTime: 1000 })).retriable).toBe(true)
    expect(toKafkitError(new Error('something else')).retriable).toBe(false)
  })

  test('maps a fenced producer to KAFKIT_PRODUCER_FENCED, never retriable', () => {
    const engine = new KafkaJSProtocolError!({ message: 'fenced', type: 'INVALID_PRODUCER_EPOCH', code: 47, retriable: false })
    expect(toKafkitError(engine)).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', retriable: false })
  })

  test('passes KafkitErrors through and wraps non-errors', () => {
    const own = new KafkitError('KAFKIT_VALIDATION', 'bad')
    expect(toKafkitError(own)).toBe(own)
    expect(toKafkitError('weird')).toMatchObject({ code: 'KAFKIT_KAFKA', retriable: false })
  })
})
