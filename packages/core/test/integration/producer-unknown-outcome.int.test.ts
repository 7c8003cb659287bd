// Contract (docs/production.md "A failed send says what became of each record"): a send whose produce requests reach the broker but whose answers never come back fails at its delivery timeout with outcome 'unknown' (may or may not be in the log), never 'not-written'; here the broker wrote it, and the producer's retries of the same batch put it in the log once.
import { rejectionOf, uniqueName } from '@kafkit/testkit'
import { expect, test } from 'vitest'
import { defineTopic, Kafkit, type KafkitError, type PartitionDeliveryReport, string } from '../../src/index.js'
import { ApiKey, useProxiedBroker } from './kafka-proxy.js'
import { readTopic } from './read-topic.js'

// The proxy drops the broker's answers.
const rig = useProxiedBroker()

test("a send whose every produce answer is lost fails 'unknown' at its delivery timeout; the log holds its records once", async () => {
  const { cluster, proxy } = rig
  const clientId = uniqueName('unknown-outcome')
  const kafka = new Kafkit({ clientId, brokers: [proxy.address], logLevel: 'nothing' })
  const Lost = defineTopic({ name: uniqueName('lost-answers'), value: string(), partitions: 1, replicationFactor: 1 })
  try {
    await kafka.admin().ensureTopics([Lost])
    const producer = kafka.producer({ deliveryTimeoutMs: 6_000, ackTimeoutMs: 2_000 })
    await producer.send(Lost, { value: 'first' })
    let cut = 0
    // The broker appends each batch; the connection is reset instead of its answer.
    proxy.onResponse = (request) => (request.apiKey === ApiKey.Produce && request.clientId === clientId ? (cut++, 'reset') : 'pass')
    const error = await rejectionOf<KafkitError>(producer.send(Lost, [{ value: 'a' }, { value: 'b' }]))
    proxy.onResponse = () => 'pass'
    expect(cut).toBeGreaterThan(1)
    expect(error).toMatchObject({ code: 'KAFKIT_KAFKA', context: { outcome: 'unknown' } })
    expect((error.context.partitions as PartitionDeliveryReport[])[0]).toMatchObject({ topic: Lost.name, partition: 0, records: 2, written: 0, notWritten: 0, unknown: 2 })
    // 'unknown' was the truth: the broker wrote them, once, whatever the retries.
    expect((await readTopic(cluster.brokers, Lost.name, 3)).map((r) => r.value?.toString())).toEqual(['first', 'a', 'b'])
    // The producer goes on: a next send is written after them.
    await producer.send(Lost, { value: 'after' })
    expect((await readTopic(cluster.brokers, Lost.name, 4)).map((r) => r.value?.toString())).toEqual(['first', 'a', 'b', 'after'])
  } finally {
    proxy.onResponse = () => 'pass'
    await kafka.close()
  }
}, 120_000)
