import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { KafkitError } from '../src/errors.js'
import { defineTopic, json, Kafkit, string } from '../src/index.js'
import { classifyTransactionError, fencedError } from '../src/transaction.js'

const kafka = new Kafkit({ clientId: 'txn-unit', brokers: ['localhost:1'], logLevel: 'nothing' })
const Orders = defineTopic({ name: 'orders', key: string(), value: json(z.object({ id: z.string() })), transactional: true })

describe('transactional producer options', () => {
  test('a transactional producer needs idempotence and one request in flight', () => {
    expect(() => kafka.producer({ transactionalId: 't', idempotent: false, acks: 1 })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG', message: expect.stringContaining('idempotent') }))
    expect(() => kafka.producer({ transactionalId: 't', maxInFlightRequests: 5 })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG', message: expect.stringContaining('maxInFlightRequests') }))
    expect(() => kafka.producer({ transactionalId: '' })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
    expect(kafka.producer({ transactionalId: 't' }).transactionalId).toBe('t')
  })

  test('plain send is refused on a transactional producer, transaction() without an id', async () => {
    await expect(kafka.producer({ transactionalId: 't' }).send(Orders, { key: 'k', value: { id: '1' } })).rejects.toMatchObject({ code: 'KAFKIT_CONFIG' })
    await expect(kafka.producer().transaction(async () => {})).rejects.toMatchObject({ code: 'KAFKIT_CONFIG', message: expect.stringContaining('transactionalId') })
  })
})

describe('classifyTransactionError', () => {
  const kafkaError = (kafkaError: string, retriable = true) => new KafkitError('KAFKIT_KAFKA', kafkaError, { retriable, context: { kafkaError } })

  test('fenced, fatal or transient', () => {
    expect(classifyTransactionError(new KafkitError('KAFKIT_PRODUCER_FENCED', 'x', { context: { kafkaError: 'INVALID_PRODUCER_EPOCH' } }))).toBe('fenced')
    expect(classifyTransactionError(new KafkitError('KAFKIT_PRODUCER_FENCED', 'x', { context: { kafkaError: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' } }))).toBe('fatal')
    expect(classifyTransactionError(kafkaError('TOPIC_AUTHORIZATION_FAILED', false))).toBe('fatal')
    expect(classifyTransactionError(kafkaError('MESSAGE_TOO_LARGE', false))).toBe('fatal')
    expect(classifyTransactionError(kafkaError('NOT_COORDINATOR'))).toBe('transient')
    expect(classifyTransactionError(kafkaError('REQUEST_TIMED_OUT'))).toBe('transient')
    expect(classifyTransactionError(new KafkitError('KAFKIT_CONFIG', 'x'))).toBe('fatal')
    expect(classifyTransactionError(new Error('plain'))).toBe('fatal')
  })

  test('the fenced error names the id, keeps the cause and is never retriable', () => {
    const cause = new KafkitError('KAFKIT_PRODUCER_FENCED', 'engine says epoch', { context: { kafkaError: 'INVALID_PRODUCER_EPOCH' } })
    const error = fencedError('orders-0', cause)
    expect(error).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', retriable: false, cause })
    expect(error.message).toContain("'orders-0'")
    expect(fencedError('orders-0', error)).toBe(error)
  })
})

describe('isolation level', () => {
  test('consumers read read_committed; read_uncommitted is refused for a transactional contract', () => {
    const plain = defineTopic({ name: 'plain', value: string() })
    expect(() => kafka.consumer({ groupId: 'g', isolationLevel: 'read_uncommitted' }).handle(plain, () => {})).not.toThrow()
    expect(() => kafka.consumer({ groupId: 'g', isolationLevel: 'read_uncommitted' }).handle(Orders, () => {})).toThrow(
      expect.objectContaining({ code: 'KAFKIT_CONFIG', message: expect.stringContaining('read_committed') }),
    )
    expect(() => kafka.consumer({ groupId: 'g', isolationLevel: 'dirty' as never })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
    expect(Orders.transactional).toBe(true)
    expect(plain.transactional).toBe(false)
  })
})
