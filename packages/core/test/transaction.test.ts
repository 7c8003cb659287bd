import kafkajs from 'kafkajs'
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { EventHub } from '../src/runtime/events.js'
import { KafkitError } from '../src/errors.js'
import { defineTopic, json, Kafkit, string } from '../src/index.js'
import { toKafkitError } from '../src/internal/transport/errors.js'
import type { TransportTransaction, TransportTransactionalProducer } from '../src/internal/transport/index.js'
import { encodeBatch } from '../src/producer.js'
import type { Serde } from '../src/serde.js'
import type { TransactionEvents } from '../src/transaction-events.js'
import { classifyTransactionError, fencedError, TransactionRunner } from '../src/transaction.js'
import { Gate } from './runtime/fake-engine.js'

// The real kafkajs error class, as kafkajs builds it for a protocol error (no mock).
const { KafkaJSProtocolError } = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>

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
    expect(classifyTransactionError(new KafkitError('KAFKIT_AUTH', 'not authorized', { retriable: false }))).toBe('fatal')
    expect(classifyTransactionError(kafkaError('MESSAGE_TOO_LARGE', false))).toBe('fatal')
    expect(classifyTransactionError(kafkaError('NOT_COORDINATOR'))).toBe('transient')
    expect(classifyTransactionError(kafkaError('REQUEST_TIMED_OUT'))).toBe('transient')
    expect(classifyTransactionError(new KafkitError('KAFKIT_CONFIG', 'x'))).toBe('fatal')
    expect(classifyTransactionError(new Error('plain'))).toBe('fatal')
  })

  test('a missing ACL on the transactional id or a topic is KAFKIT_AUTH (not fenced) and fatal', () => {
    for (const [type, code] of [
      ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53],
      ['TOPIC_AUTHORIZATION_FAILED', 29],
      ['GROUP_AUTHORIZATION_FAILED', 30],
    ] as const) {
      const error = toKafkitError(new KafkaJSProtocolError!({ message: `${type}`, type, code, retriable: false }), {}, 'Transaction')
      expect(error).toMatchObject({ code: 'KAFKIT_AUTH', retriable: false, context: { kafkaError: type } })
      expect(error.message).toContain('lacks an ACL')
      expect(classifyTransactionError(error)).toBe('fatal')
    }
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

/** A transactional producer in kafkit's transport terms: each `send` waits for `sendGate`, `commit` does what `commit` says. */
function fakeProducer(over: { sendGate?: Gate; commit?: () => Promise<void> } = {}) {
  const calls: string[] = []
  const txn: TransportTransaction = {
    send: async (batch) => {
      calls.push(`send ${batch.map((entry) => entry.topic).join(',')}`)
      await over.sendGate?.promise
      return []
    },
    sendOffsets: async () => void calls.push('sendOffsets'),
    commit: async () => (calls.push('commit'), over.commit?.()),
    abort: async () => void calls.push('abort'),
  }
  const producer: TransportTransactionalProducer = {
    transactionalId: 'tx-unit',
    init: async () => void calls.push('init'),
    begin: async () => (calls.push('begin'), txn),
    reset: async () => {},
    disconnect: async () => {},
  }
  return { producer, calls }
}

function runnerOver(producer: TransportTransactionalProducer) {
  const events = new EventHub<TransactionEvents>()
  const log: { name: keyof TransactionEvents; payload: unknown }[] = []
  for (const name of ['producer.txn.begin', 'producer.txn.commit', 'producer.txn.abort', 'producer.txn.commit-unknown', 'producer.txn.fenced'] as const) {
    events.on(name, (payload) => void log.push({ name, payload }))
  }
  return { runner: new TransactionRunner(producer, encodeBatch, { compression: 'none', timeoutMs: 30_000 }, events), log }
}

describe('OpenTransaction queue', () => {
  test('an async encode that rejects while an earlier send is in flight is no unhandled rejection; the caller gets the serde error', async () => {
    const registryDown = new Error('schema registry unreachable')
    // An async (registry-backed) serde whose encode has already failed when the queue reaches it.
    const failing: Serde<string> = { format: 'registry', encode: () => Promise.reject(registryDown), decode: (bytes) => bytes.toString() }
    const A = defineTopic({ name: 'a', value: string() })
    const B = defineTopic({ name: 'b', value: failing })
    const sendGate = new Gate()
    const { producer, calls } = fakeProducer({ sendGate })
    const { runner } = runnerOver(producer)
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      let sendB: Promise<unknown> | undefined
      const result = runner.run(
        async (tx) => {
          const sendA = tx.send(A, { value: 'a' })
          sendB = tx.send(B, { value: 'b' })
          return Promise.all([sendA, sendB])
        },
        { retry: false },
      )
      result.catch(() => {})
      // A is in flight (waiting for the broker); B's encode has rejected by now.
      while (!calls.includes('send a')) await new Promise((resolve) => setImmediate(resolve))
      // Let Node process its pending-rejection list before A is answered.
      await new Promise((resolve) => setImmediate(resolve))
      await new Promise((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
      sendGate.open()
      const serdeError = expect.objectContaining({ code: 'KAFKIT_SERDE_ENCODE', cause: registryDown })
      await expect(sendB).rejects.toEqual(serdeError)
      await expect(result).rejects.toEqual(serdeError)
      await new Promise((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
      // Nothing of B was sent; the callback's error aborts the transaction.
      expect(calls).toEqual(['begin', 'send a', 'abort'])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

describe('a failed commit', () => {
  test('a commit timeout becomes a non-retriable error with an unknown outcome, keeps its cause and is never run again', async () => {
    const timeout = new KafkitError('KAFKIT_KAFKA', 'Request timed out', { retriable: true, context: { kafkaError: 'REQUEST_TIMED_OUT' } })
    const { producer, calls } = fakeProducer({ commit: () => Promise.reject(timeout) })
    const { runner, log } = runnerOver(producer)
    let runs = 0
    const error = await runner
      .run(async (tx) => {
        runs++
        await tx.send(defineTopic({ name: 'a', value: string() }), { value: 'a' })
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(error).toBeInstanceOf(KafkitError)
    expect(error).toMatchObject({ code: 'KAFKIT_KAFKA', retriable: false, cause: timeout, context: { kafkaError: 'REQUEST_TIMED_OUT', outcome: 'unknown', transactionalId: 'tx-unit' } })
    expect((error as KafkitError).message).toMatch(/may have committed.*must not be re-run blindly/)
    expect(runs).toBe(1)
    expect(calls).toEqual(['begin', 'send a', 'commit'])
    expect(log.find((entry) => entry.name === 'producer.txn.commit-unknown')?.payload).toEqual({ transactionalId: 'tx-unit', error })
  })
})
