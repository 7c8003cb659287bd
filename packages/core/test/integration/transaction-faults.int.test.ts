// Contract: a transaction whose write fails for a retriable reason before the commit (the broker takes the records, but its answers are cut for longer than the delivery timeout) is aborted and its callback run again in a new transaction, and read_committed readers see only the second try; a commit whose answer is lost (the broker committed, the connection is cut before its answer) is not retried: it fails retriable: false with outcome 'unknown', the callback ran once, and its records are in the topic once.
import { type KafkaCluster, startKafka, uniqueName } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineTopic, Kafkit, type KafkitError, type KafkitProducer, string, type TransactionEvents } from '../../src/index.js'
import { ApiKey, type KafkaProxy, proxyBroker } from './kafka-proxy.js'
import { readCommitted, readUntil } from './transaction-helpers.js'

let cluster: KafkaCluster
let proxy: KafkaProxy
let kafka: Kafkit
/** Clients of the test (readers, admin) reach the broker directly, kafkit's through the proxy. */
const direct = () => cluster.brokers

beforeAll(async () => {
  cluster = await startKafka({ backend: 'jvm', brokers: 1, log: () => {} })
  proxy = await proxyBroker(cluster.brokers[0]!)
  kafka = new Kafkit({ clientId: 'kafkit-txn-faults', brokers: [proxy.address], logLevel: 'nothing' })
}, 240_000)

afterAll(async () => {
  await kafka?.close()
  await proxy?.close()
  await cluster?.stop()
})

function record<K extends keyof TransactionEvents>(producer: KafkitProducer, name: K): TransactionEvents[K][] {
  const seen: TransactionEvents[K][] = []
  producer.on(name, (payload) => seen.push(payload))
  return seen
}

async function topic() {
  const Orders = defineTopic({ name: uniqueName('txn-faults'), key: string(), value: string(), partitions: 1, replicationFactor: 1 })
  await kafka.admin().ensureTopics([Orders])
  return Orders
}

describe('transactions on a broker whose answers are cut', () => {
  it('a write whose answers are cut past the delivery timeout aborts the try and runs the callback again; read_committed readers see the second try only', async () => {
    const Orders = await topic()
    const producer = kafka.producer({ transactionalId: uniqueName('txn'), ackTimeoutMs: 2_000, deliveryTimeoutMs: 3_000 })
    const aborts = record(producer, 'producer.txn.abort')
    const commits = record(producer, 'producer.txn.commit')
    // From when the first try armed it until that try is aborted: every Produce answer is cut (the broker appended the records).
    let cutting = false
    let cuts = 0
    proxy.onResponse = (r) => (cutting && r.apiKey === ApiKey.Produce ? (cuts++, 'reset') : 'pass')
    producer.on('producer.txn.abort', () => (cutting = false))
    let calls = 0
    try {
      const result = await producer.transaction(
        async (tx) => {
          calls++
          await tx.send(Orders, { key: 'k', value: `a${calls}` })
          if (calls === 1) cutting = true
          await tx.send(Orders, { key: 'k', value: `b${calls}` })
          return calls
        },
        { retry: { attempts: 3, backoff: { initialMs: 200, maxMs: 500 } } },
      )
      expect(result).toBe(2)
    } finally {
      proxy.onResponse = () => 'pass'
      await producer.disconnect()
    }
    expect(cuts).toBeGreaterThan(0)
    expect(aborts).toHaveLength(1)
    expect(aborts[0]).toMatchObject({ attempt: 1, reason: 'kafka-error', errorCode: 'KAFKIT_KAFKA' })
    expect(aborts[0]!.retryInMs).toBeGreaterThan(0)
    expect(commits).toMatchObject([{ attempt: 2, records: 2 }])
    // The first try did reach the log (a read_uncommitted reader sees it), and was aborted: read_committed readers never see it.
    const everything = await readUntil(direct(), [Orders.name], (r) => r.some((x) => x.value === 'b2'), { readUncommitted: true })
    expect(everything.map((r) => r.value)).toEqual(expect.arrayContaining(['a1', 'b1', 'a2', 'b2']))
    expect((await readCommitted(direct(), Orders.name)).map((r) => r.value)).toEqual(['a2', 'b2'])
  })

  it('a commit whose answer is lost is not run again: it fails retriable: false, outcome unknown, and its records are in the topic once', async () => {
    const Orders = await topic()
    const transactionalId = uniqueName('txn')
    const producer = kafka.producer({ transactionalId })
    const unknown = record(producer, 'producer.txn.commit-unknown')
    const commits = record(producer, 'producer.txn.commit')
    // The first EndTxn (the commit) reaches the broker, which commits; its answer is cut.
    let cuts = 0
    proxy.onResponse = (r) => (r.apiKey === ApiKey.EndTxn && cuts === 0 ? (cuts++, 'reset') : 'pass')
    let calls = 0
    let outcome: unknown
    try {
      outcome = await producer
        .transaction(async (tx) => {
          calls++
          await tx.send(Orders, [
            { key: 'k', value: 'x' },
            { key: 'k', value: 'y' },
          ])
        })
        .then(
          () => 'committed',
          (error: unknown) => error,
        )
      // The producer goes on: registering the id again settles the lost commit, and the next transaction commits behind it.
      await producer.transaction(async (tx) => void (await tx.send(Orders, { key: 'k', value: 'after' })))
    } finally {
      proxy.onResponse = () => 'pass'
      await producer.disconnect()
    }
    expect(cuts).toBe(1)
    // The broker did commit the first transaction: its records once (not run again), then the next one's.
    expect((await readCommitted(direct(), Orders.name)).map((r) => r.value)).toEqual(['x', 'y', 'after'])
    expect(calls).toBe(1)
    expect(outcome).toMatchObject({ code: 'KAFKIT_KAFKA', retriable: false, context: { transactionalId, outcome: 'unknown' } })
    expect((outcome as KafkitError).message).toContain('outcome unknown')
    expect(unknown).toHaveLength(1)
    expect(commits).toHaveLength(1)
  })
})
