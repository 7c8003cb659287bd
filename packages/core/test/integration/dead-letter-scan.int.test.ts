// Contract: listing a dead-letter topic ends even when a partition's tail is an aborted transaction (no record is ever delivered there), and a scan with a transaction still open at the tail ends at the last stable offset instead of waiting for it.
import { uniqueName } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { Kafkit } from '../../src/index.js'
import { scanTopic } from '../../src/internal/transport/topic-scan.js'
import { type Harness, harness } from './consumer-harness.js'

const { brokers } = inject('kafka')
let h: Harness
let kafka: Kafkit
beforeAll(async () => {
  h = await harness(brokers)
  kafka = new Kafkit({ clientId: 'core-dlq-scan', brokers, logLevel: 'nothing' })
})
afterAll(async () => {
  await kafka?.close()
  await h?.close()
})

const engine = () => new kafkajs.Kafka({ clientId: 'core-dlq-scan-txn', brokers, logLevel: kafkajs.logLevel.NOTHING })

/** Writes `value` to `partition` in a transaction and aborts it, or leaves it open. */
async function transactional(topic: string, partition: number, value: string, end: 'abort' | 'open') {
  const producer = engine().producer({ transactionalId: uniqueName('scan-txn'), idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const txn = await producer.transaction()
  await txn.send({ topic, acks: -1, messages: [{ key: 'k', value, partition }] })
  if (end === 'abort') {
    await txn.abort()
    await producer.disconnect()
    return undefined
  }
  return { abort: async () => { await txn.abort(); await producer.disconnect() } }
}

it('lists a 2-partition dead-letter topic whose partition 1 holds only an aborted transaction', async () => {
  const topic = `${uniqueName('scan')}.dlq`
  await h.createTopic(topic, 2)
  await h.produce(topic, [{ key: 'a', value: 'dead-1', partition: 0 }, { key: 'b', value: 'dead-2', partition: 0 }])
  await transactional(topic, 1, 'aborted', 'abort')
  const listed = await Promise.race([
    kafka.deadLetters(topic).list(),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 45_000)),
  ])
  expect(listed).not.toBe('hung')
  expect((listed as { partition: number; value: Buffer | null }[]).map((e) => [e.partition, e.value?.toString()])).toEqual([
    [0, 'dead-1'],
    [0, 'dead-2'],
  ])
})

it('ends at the last stable offset when a transaction is still open at the tail, with the records before it', async () => {
  const topic = `${uniqueName('scan-open')}.dlq`
  await h.createTopic(topic, 1)
  await h.produce(topic, [{ key: 'a', value: 'dead-1' }])
  const open = await transactional(topic, 0, 'pending', 'open')
  try {
    const seen: string[] = []
    await scanTopic(engine(), topic, (record) => void seen.push(record.value!.toString()), 30_000)
    expect(seen).toEqual(['dead-1'])
  } finally {
    await open?.abort()
  }
})
