// Contract: a topic deleted after a producer wrote to it does not stop that producer from writing to other topics (kafkajs fails every metadata request that names a missing topic; kafkit takes the missing topic out of it and asks for it on its own backoff), also while records for the deleted topic wait out their delivery timeout.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, inject, test } from 'vitest'
import { defineTopic, Kafkit, KafkitError, string } from '../../src/index.js'
import { ApiKey, useProxiedBroker } from './kafka-proxy.js'
import { plainClient, readTopic } from './read-topic.js'

const { brokers } = inject('kafka')

async function deleteTopic(at: string[], name: string): Promise<void> {
  const admin = plainClient(at).admin()
  await admin.connect()
  try {
    await admin.deleteTopics({ topics: [name], timeout: 10_000 })
  } finally {
    await admin.disconnect()
  }
}

test('after a topic it wrote to is deleted, the producer still writes to a new topic and to an old one', async () => {
  const kafka = new Kafkit({ clientId: 'core-deleted-topic', brokers, logLevel: 'nothing', retry: { retries: 2, initialRetryTimeMs: 100 } })
  const Gone = defineTopic({ name: uniqueName('gone'), value: string(), partitions: 1, replicationFactor: 1 })
  const Kept = defineTopic({ name: uniqueName('kept'), value: string(), partitions: 1, replicationFactor: 1 })
  const Later = defineTopic({ name: uniqueName('later'), value: string(), partitions: 1, replicationFactor: 1 })
  try {
    await kafka.admin().ensureTopics([Gone, Kept])
    const producer = kafka.producer()
    await producer.send(Gone, { value: 'before' })
    await producer.send(Kept, { value: 'one' })
    await deleteTopic(brokers, Gone.name)
    await kafka.admin().ensureTopics([Later])
    // A new topic makes the producer refresh metadata for every topic it knows, the deleted one included.
    await producer.send(Later, { value: 'new' })
    await producer.send(Kept, { value: 'two' })
    expect((await readTopic(brokers, Later.name, 1)).map((r) => r.value?.toString())).toEqual(['new'])
    expect((await readTopic(brokers, Kept.name, 2)).map((r) => r.value?.toString())).toEqual(['one', 'two'])
  } finally {
    await kafka.close()
  }
})

test('records waiting for a deleted topic are written once to the topic created again under its name before their delivery timeout', async () => {
  const kafka = new Kafkit({ clientId: 'core-recreated-topic', brokers, logLevel: 'nothing', retry: { retries: 2, initialRetryTimeMs: 100 } })
  const Again = defineTopic({ name: uniqueName('again'), value: string(), partitions: 1, replicationFactor: 1 })
  try {
    await kafka.admin().ensureTopics([Again])
    const producer = kafka.producer({ ackTimeoutMs: 5_000, deliveryTimeoutMs: 60_000 })
    // Offsets 0..2 acknowledged on the old topic.
    await producer.send(Again, [{ value: 'old-0' }, { value: 'old-1' }, { value: 'old-2' }])
    await deleteTopic(brokers, Again.name)
    const waiting = producer.send(Again, { value: 'new-0' })
    // Set aside as missing, then created again (the deletion may take a moment to finish).
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await waitFor(
      async () => {
        try {
          await kafka.admin().ensureTopics([Again])
          return true
        } catch {
          return false
        }
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'the topic created again' },
    )
    // Written at offset 0 of the new topic: not taken for a stale answer below offset 2 of the old one.
    const [written] = await waiting
    expect(written).toMatchObject({ topic: Again.name, partition: 0, baseOffset: '0' })
    expect((await readTopic(brokers, Again.name, 1)).map((r) => r.value?.toString())).toEqual(['new-0'])
  } finally {
    await kafka.close()
  }
}, 120_000)

describe('while records for a deleted topic wait out their delivery timeout', () => {
  // The proxy counts kafkit's metadata requests.
  const rig = useProxiedBroker()

  test('sends to a topic created just before them, and to an old one, are written; the waiting records fail not-written; metadata is asked for on a backoff', async () => {
    const { cluster, proxy } = rig
    const direct = cluster.brokers
    const clientId = uniqueName('deleted-topic-wait')
    const kafka = new Kafkit({ clientId, brokers: [proxy.address], logLevel: 'nothing', retry: { retries: 2, initialRetryTimeMs: 100 } })
    const Gone = defineTopic({ name: uniqueName('gone'), value: string(), partitions: 1, replicationFactor: 1 })
    const Kept = defineTopic({ name: uniqueName('kept'), value: string(), partitions: 1, replicationFactor: 1 })
    const Later = defineTopic({ name: uniqueName('later'), value: string(), partitions: 1, replicationFactor: 1 })
    try {
      await kafka.admin().ensureTopics([Gone, Kept])
      const deliveryTimeoutMs = 12_000
      const producer = kafka.producer({ ackTimeoutMs: 5_000, deliveryTimeoutMs })
      await producer.send(Gone, { value: 'before' })
      await producer.send(Kept, { value: 'one' })
      await deleteTopic(direct, Gone.name)
      let metadataRequests = 0
      proxy.onRequest = (request) => {
        if (request.apiKey === ApiKey.Metadata && request.clientId === clientId) metadataRequests++
        return 'pass'
      }
      // The producer's metadata still names the deleted topic: this send is queued, the broker
      // refuses it, and it waits for the topic until its delivery timeout.
      const started = Date.now()
      const waiting = producer.send(Gone, { value: 'after' }).then(
        () => undefined,
        (error: unknown) => error,
      )
      await new Promise((resolve) => setTimeout(resolve, 500))
      // Created just before its first send, as a service rolling out a new topic does.
      await kafka.admin().ensureTopics([Later])
      await producer.send(Later, { value: 'new' })
      await producer.send(Kept, { value: 'two' })
      const failure = await waiting
      const waited = Date.now() - started
      expect(failure).toBeInstanceOf(KafkitError)
      expect((failure as KafkitError).context.outcome).toBe('not-written')
      expect((failure as KafkitError).message).toMatch(/delivery timeout/)
      // Before the backoff, a leaderless queue asked for metadata on every pass, about 19 times
      // a second; on the backoff (100 ms doubling to 5 s) it is a handful over the whole wait.
      expect(metadataRequests, `${metadataRequests} metadata requests in ${waited} ms`).toBeLessThan(60)
      expect((await readTopic(direct, Later.name, 1)).map((r) => r.value?.toString())).toEqual(['new'])
      expect((await readTopic(direct, Kept.name, 2)).map((r) => r.value?.toString())).toEqual(['one', 'two'])
    } finally {
      proxy.onRequest = () => 'pass'
      await kafka.close()
    }
  }, 120_000)
})
