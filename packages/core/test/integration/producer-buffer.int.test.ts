// Contract: a producer holds at most maxQueuedBytes of records for sends not yet acknowledged: while the broker refuses every write (NOT_ENOUGH_REPLICAS), further sends wait for room instead of piling up in memory; once the broker accepts again, every send is written exactly once, in call order, and the held bytes go back to zero.
import { uniqueName, waitFor } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { defineTopic, Kafkit, string } from '../../src/index.js'
import { readTopic } from './read-topic.js'

const { brokers } = inject('kafka')
const MAX_QUEUED = 100_000
const VALUE_BYTES = 30_000

let kafka: Kafkit
let admin: kafkajs.Admin
beforeAll(async () => {
  kafka = new Kafkit({ clientId: 'core-buffer-test', brokers, logLevel: 'nothing' })
  admin = new kafkajs.Kafka({ clientId: 'core-buffer-test-admin', brokers, logLevel: kafkajs.logLevel.NOTHING }).admin()
  await admin.connect()
})
afterAll(async () => {
  await admin?.disconnect()
  await kafka?.close()
})

const minInsync = (topic: string, value: string) =>
  admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'min.insync.replicas', value }] }] })

describe('producer buffer bound', () => {
  test('sends wait for room while the broker refuses writes; then all are written once, in order', async () => {
    const Topic = defineTopic({ name: uniqueName('buffer'), key: string(), value: string(), partitions: 1, replicationFactor: 1 })
    await kafka.admin().ensureTopics([Topic])
    // One broker: with min.insync.replicas=2 every acks=all write is refused (retriable NOT_ENOUGH_REPLICAS).
    await minInsync(Topic.name, '2')
    const producer = kafka.producer({ maxQueuedBytes: MAX_QUEUED, deliveryTimeoutMs: 60_000 })
    await producer.send(Topic, []) // connects
    const values = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(2, '0')}:${'x'.repeat(VALUE_BYTES)}`)
    const sends = values.map((value) => producer.send(Topic, { key: 'k', value }))
    // Observed from the start: a send that fails while the checks below are awaited (or after one
    // of them failed, when the client closes) must not be an unhandled rejection.
    const all = Promise.all(sends)
    all.catch(() => {})
    let peak = 0
    const watch = setInterval(() => (peak = Math.max(peak, producer.queuedBytes)), 10)
    try {
      // Three records fit under the bound; the other nine wait, in memory only as their callers' arguments.
      await waitFor(() => producer.queuedBytes > 2 * VALUE_BYTES, { message: 'records held while the broker refuses them' })
      await new Promise((resolve) => setTimeout(resolve, 2_000))
      expect(peak).toBeLessThanOrEqual(MAX_QUEUED)
      expect(peak).toBeGreaterThan(3 * VALUE_BYTES)
      await minInsync(Topic.name, '1')
      const written = await all
      expect(written.map((w) => w[0]!.baseOffset)).toEqual(values.map((_, i) => String(i)))
    } finally {
      clearInterval(watch)
    }
    expect(peak).toBeLessThanOrEqual(MAX_QUEUED)
    await waitFor(() => producer.queuedBytes === 0, { message: 'nothing held once every send settled' })
    const records = await readTopic(brokers, Topic.name, values.length)
    expect(records.map((r) => r.value?.toString().slice(0, 2))).toEqual(values.map((v) => v.slice(0, 2)))
    await producer.disconnect()
  })
})
