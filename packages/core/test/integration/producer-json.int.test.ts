// Contract: kafkit's typed producer writes JSON records that plain kafkajs reads back (key, value, headers), decodeRecord restores the typed value, and an invalid message in a batch means nothing at all reaches any topic.
import { uniqueName } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { z } from 'zod'
import { defineTopic, isKafkitError, json, Kafkit, optional, string } from '../../src/index.js'
import { decodeRecord } from '../../src/internal/record.js'
import { readTopic, recordCount } from './read-topic.js'

const { brokers } = inject('kafka')

const activity = z.object({ userId: z.string(), action: z.enum(['login', 'click', 'purchase']), at: z.coerce.date() })
const makeContracts = () => ({
  Activity: defineTopic({ name: uniqueName('activity'), key: string(), value: json(activity), headers: { 'trace-id': string(), attempt: optional(json(z.number())) }, partitions: 3, replicationFactor: 1 }),
  Audit: defineTopic({ name: uniqueName('audit'), value: json(z.object({ what: z.string() })), partitions: 1, replicationFactor: 1 }),
})

let kafka: Kafkit
beforeAll(() => {
  kafka = new Kafkit({ clientId: 'core-json-test', brokers, logLevel: 'error' })
})
afterAll(async () => {
  await kafka.close()
})

describe('JSON round trip', () => {
  test('what send writes, plain kafkajs reads, and decodeRecord types again', async () => {
    const { Activity } = makeContracts()
    await kafka.admin().ensureTopics([Activity])
    const at = new Date('2024-06-01T12:00:00.000Z')
    const producer = kafka.producer()
    const written = await producer.send(Activity, [
      { key: 'u1', value: { userId: 'u1', action: 'login', at }, headers: { 'trace-id': 't1', attempt: 1 } },
      { key: 'u2', value: { userId: 'u2', action: 'click', at: at.toISOString() }, headers: { 'trace-id': 't2' }, rawHeaders: { traceparent: 'tp' } },
    ])
    expect(written.every((entry) => entry.topic === Activity.name)).toBe(true)

    const records = await readTopic(brokers, Activity.name, 2)
    expect(records).toHaveLength(2)
    const byKey = new Map(records.map((record) => [record.key?.toString(), record]))
    expect(JSON.parse(byKey.get('u1')!.value!.toString())).toEqual({ userId: 'u1', action: 'login', at: '2024-06-01T12:00:00.000Z' })
    expect(byKey.get('u2')!.headers['traceparent']?.toString()).toBe('tp')

    const raw = byKey.get('u1')!
    const decoded = decodeRecord(Activity, { topic: Activity.name, partition: raw.partition, offset: raw.offset, timestamp: '0', key: raw.key, value: raw.value, headers: raw.headers })
    expect(decoded).toMatchObject({ key: 'u1', value: { userId: 'u1', action: 'login', at }, headers: { 'trace-id': 't1', attempt: 1 } })
  })
})

describe('invalid messages', () => {
  test('one invalid message in a sendBatch across two topics: nothing is written to either', async () => {
    const { Activity, Audit } = makeContracts()
    await kafka.admin().ensureTopics([Activity, Audit])
    const producer = kafka.producer()
    const at = new Date()

    const attempt = producer.sendBatch([
      { topic: Audit, messages: [{ value: { what: 'valid and first' } }] },
      {
        topic: Activity,
        messages: [
          { key: 'u1', value: { userId: 'u1', action: 'login', at }, headers: { 'trace-id': 't' } },
          { key: 'u2', value: { userId: 'u2', action: 'logout' as 'login', at }, headers: { 'trace-id': 't' } },
        ],
      },
    ])
    const error = await attempt.then(() => undefined, (e: unknown) => e)
    expect(isKafkitError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'KAFKIT_VALIDATION', retriable: false, context: { topic: Activity.name, field: 'value', index: 1 } })
    expect((error as { issues: { path: unknown[] }[] }).issues.map((issue) => issue.path)).toEqual([['action']])

    // The partitions' high watermarks are still 0, and the first record a reader sees is
    // one written after the failure.
    expect(await recordCount(brokers, Audit.name)).toBe(0)
    expect(await recordCount(brokers, Activity.name)).toBe(0)
    await producer.send(Audit, { value: { what: 'after' } })
    const records = await readTopic(brokers, Audit.name, 1)
    expect(records.map((record) => [record.offset, JSON.parse(record.value!.toString()).what])).toEqual([['0', 'after']])
  })

  test('a send to a missing topic fails with a wrapped engine error and creates nothing', async () => {
    const client = new Kafkit({ clientId: 'core-missing-topic', brokers, logLevel: 'nothing', retry: { retries: 1, initialRetryTimeMs: 100 } })
    const Missing = defineTopic({ name: uniqueName('missing'), value: string() })
    try {
      const error = await client.producer().send(Missing, { value: 'x' }).then(() => undefined, (e: unknown) => e)
      expect(error).toMatchObject({ code: 'KAFKIT_KAFKA', context: { topic: Missing.name } })
      expect((error as Error).cause).toBeInstanceOf(Error)
      const admin = client.admin()
      const report = await admin.ensureTopics([]) // connects
      expect(report.created).toEqual([])
    } finally {
      await client.close()
    }
    const { plainClient } = await import('./read-topic.js')
    const plainAdmin = plainClient(brokers).admin()
    await plainAdmin.connect()
    expect(await plainAdmin.listTopics()).not.toContain(Missing.name)
    await plainAdmin.disconnect()
  })
})
