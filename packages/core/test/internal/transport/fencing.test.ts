import kafkajs from 'kafkajs'
import { describe, expect, test } from 'vitest'
import { KafkitError } from '../../../src/index.js'
import { SendOp } from '../../../src/internal/transport/delivery-report.js'
import { engineErrorOf, protocolError } from '../../../src/internal/transport/engine-internals.js'
import { fencingShownBy, isFencing, toKafkitError } from '../../../src/internal/transport/errors.js'
import type { TransportTransaction, TransportTransactionalProducer } from '../../../src/internal/transport/index.js'
import { encodeBatch } from '../../../src/producer.js'
import { EventHub } from '../../../src/runtime/events.js'
import type { TransactionEvents } from '../../../src/transaction-events.js'
import { classifyTransactionError, fencedError, TransactionRunner } from '../../../src/transaction.js'

// The shapes below are those a real Kafka 3.9.2 broker and kafkajs 2.2.4 produced in
// dead-letter-replay-fenced.int.test.ts (recorded from the error chains there), built from
// the real kafkajs classes: a fenced replay's Produce, AddPartitionsToTxn, EndTxn, a pipeline's
// AddOffsetsToTxn and TxnOffsetCommit all answered INVALID_PRODUCER_EPOCH (47); a commit whose
// request was lost failed with a closed connection, and the abort of its epoch answered 47.
const { KafkaJSProtocolError, KafkaJSConnectionClosedError, KafkaJSNumberOfRetriesExceeded } = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>
const OLD_EPOCH_MESSAGE = "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker"
const oldEpoch = () => new KafkaJSProtocolError!({ type: 'INVALID_PRODUCER_EPOCH', code: 47, retriable: false, message: OLD_EPOCH_MESSAGE })
const closed = () => new KafkaJSConnectionClosedError!('Closed connection', { host: '127.0.0.1', port: 9092 })

describe('isFencing: the one test of fencing', () => {
  test("kafkajs' INVALID_PRODUCER_EPOCH, as the coordinator and the partition leader answer a fenced epoch", () => {
    expect(isFencing(oldEpoch())).toBe(true)
    // As kafkit wraps it: the transactional send (a delivery report), the commit, the offsets.
    const send = toKafkitError(oldEpoch(), { topics: ['orders', 'orders.dlq.replayed'], outcome: 'not-written' }, 'Send')
    expect(send).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', retriable: false, context: { kafkaError: 'INVALID_PRODUCER_EPOCH', engineError: 'KafkaJSProtocolError' } })
    expect(isFencing(send)).toBe(true)
    // Under kafkajs' retry wrapper, and under kafkit errors that only name the failure in their cause.
    expect(isFencing(new KafkaJSNumberOfRetriesExceeded!(oldEpoch(), { retryCount: 0, retryTime: 0 }))).toBe(true)
    expect(isFencing(new KafkitError('KAFKIT_KAFKA', 'replay of orders.dlq failed', { cause: new KafkitError('KAFKIT_KAFKA', 'Commit failed', { cause: oldEpoch() }) }))).toBe(true)
    expect(isFencing(new KafkitError('KAFKIT_KAFKA', 'x', { context: { kafkaError: 'INVALID_PRODUCER_EPOCH' } }))).toBe(true)
  })

  test('PRODUCER_FENCED (90), which kafkajs 2.2.4 does not know, keeps its name and code on kafkit\'s own requests', () => {
    // Brokers answer 47 to the request versions kafkajs speaks; a newer answer must not turn into UNKNOWN.
    expect(protocolError(90)).toMatchObject({ type: 'PRODUCER_FENCED', code: 90, retriable: false })
    const engine = engineErrorOf(90)
    expect(engine).toMatchObject({ name: 'KafkaJSProtocolError', type: 'PRODUCER_FENCED', code: 90 })
    expect(isFencing(engine)).toBe(true)
    expect(toKafkitError(engine, {}, 'Send')).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', retriable: false })
  })

  test('not fencing: a lost commit, a missing ACL on the transactional id, a transient coordinator answer', () => {
    const lost = toKafkitError(closed(), { transactionalId: 't', outcome: 'unknown' }, 'Commit transaction')
    expect(lost).toMatchObject({ code: 'KAFKIT_KAFKA', context: { engineError: 'KafkaJSConnectionClosedError', outcome: 'unknown' } })
    expect(isFencing(lost)).toBe(false)
    const acl = new KafkaJSProtocolError!({ type: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', code: 53, retriable: false, message: 'Transactional Id authorization failed' })
    expect(isFencing(acl)).toBe(false)
    expect(toKafkitError(acl).code).toBe('KAFKIT_AUTH')
    expect(isFencing(new KafkaJSProtocolError!({ type: 'CONCURRENT_TRANSACTIONS', code: 51, retriable: true, message: 'concurrent' }))).toBe(false)
    // kafkajs' own name for a code it does not know carries -99, never a fencing by itself.
    expect(isFencing(new KafkaJSProtocolError!({ type: 'KAFKAJS_UNKNOWN_ERROR_CODE', code: -99, retriable: false, message: 'Unknown error code 120' }))).toBe(false)
  })
})

describe('a failure shown to be a fencing by the abort after it', () => {
  test('a commit lost on a closed connection, whose abort of the same epoch the coordinator refused with 47, is KAFKIT_PRODUCER_FENCED keeping the commit error as cause', () => {
    const lost = toKafkitError(closed(), { transactionalId: 'kafkit-replay-orders.dlq', outcome: 'unknown' }, 'Commit transaction')
    const shown = fencingShownBy(lost, oldEpoch(), { transactionalId: 'kafkit-replay-orders.dlq' }) as KafkitError
    expect(shown).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', retriable: false, cause: lost, context: { transactionalId: 'kafkit-replay-orders.dlq', outcome: 'unknown', kafkaError: 'INVALID_PRODUCER_EPOCH' } })
    expect(shown.message).toContain('Closed connection')
    expect(shown.message).toContain('old epoch')
    expect(classifyTransactionError(shown)).toBe('fenced')
    // The runner's and the pipeline's error then names the id and stays not retriable.
    expect(fencedError('kafkit-replay-orders.dlq', shown)).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', retriable: false, cause: shown, context: { fenced: true, transactionalId: 'kafkit-replay-orders.dlq' } })
  })

  test('an abort that went through, or failed otherwise, leaves the failure as it is', () => {
    const lost = toKafkitError(closed(), { outcome: 'unknown' }, 'Commit transaction')
    expect(fencingShownBy(lost, undefined)).toBe(lost)
    expect(fencingShownBy(lost, new KafkaJSProtocolError!({ type: 'INVALID_TXN_STATE', code: 48, retriable: false, message: 'invalid state' }))).toBe(lost)
    expect(classifyTransactionError(lost)).toBe('transient')
  })
})

describe('SendOp: a fencing names the send whatever else failed', () => {
  test.each([
    ['after', true],
    ['before', false],
  ])('an unknown outcome on one partition, failed %s the fencing of another, does not hide it', async (_, fencingFirst) => {
    const send = new SendOp(Date.now() + 1000)
    const a = send.slot('orders', 0)
    const b = send.slot('orders.dlq.replayed', 0)
    a.records = 2
    b.records = 2
    send.opened()
    send.opened()
    const fence = () => send.failed(a, 2, 'not-written', oldEpoch())
    const unknown = () => send.failed(b, 2, 'unknown', new KafkitError('KAFKIT_KAFKA', 'delivery timeout', { retriable: true }))
    if (fencingFirst) (fence(), unknown())
    else (unknown(), fence())
    const error = (await send.promise.catch((e: unknown) => e)) as KafkitError
    expect(error).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', retriable: false, context: { outcome: 'unknown', kafkaError: 'INVALID_PRODUCER_EPOCH' } })
  })
})

describe('the transaction runner: a failed send whose abort is refused as fenced', () => {
  test('rejects with KAFKIT_PRODUCER_FENCED (the send error as cause), emits producer.txn.fenced, and runs nothing more', async () => {
    const lost = toKafkitError(closed(), { topic: 'orders', outcome: 'unknown' }, 'Send')
    const txn: TransportTransaction = {
      send: () => Promise.reject(lost),
      sendOffsets: () => Promise.resolve(),
      commit: () => Promise.resolve(),
      abort: () => Promise.reject(toKafkitError(oldEpoch(), { transactionalId: 'tx-unit' }, 'Abort transaction')),
    }
    const producer: TransportTransactionalProducer = { transactionalId: 'tx-unit', init: async () => {}, begin: async () => txn, reset: async () => {}, disconnect: async () => {} }
    const events = new EventHub<TransactionEvents>()
    const fenced: unknown[] = []
    events.on('producer.txn.fenced', (e) => void fenced.push(e))
    const runner = new TransactionRunner(producer, encodeBatch, { compression: 'none', timeoutMs: 30_000 }, events)
    const run = () => runner.run((tx) => tx.sendWire([{ topic: 'orders', messages: [{ key: null, value: Buffer.from('x') }] }]), { retry: { attempts: 3 } })
    const error = (await run().catch((e: unknown) => e)) as KafkitError
    expect(error).toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED', retriable: false, context: { transactionalId: 'tx-unit', fenced: true } })
    expect(error.message).toContain("another instance registered transactional id 'tx-unit'")
    expect((error.cause as KafkitError).cause).toBe(lost)
    expect(fenced).toHaveLength(1)
    await expect(run()).rejects.toBe(error)
  })
})
