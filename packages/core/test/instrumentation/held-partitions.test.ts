// A retry or dead-letter write the broker refuses for a missing ACL holds its partition in
// the health report (reason authorization) until the write is acknowledged (the real broker:
// test/integration/consumer-dead-letter-authorization.int.test.ts).
import { describe, expect, test } from 'vitest'
import { KafkitConsumer } from '../../src/consumer/consumer.js'
import { defineTopic } from '../../src/contract.js'
import { KafkitError } from '../../src/errors.js'
import { HeldPartitions } from '../../src/instrumentation/held-partitions.js'
import { Telemetry } from '../../src/instrumentation/telemetry.js'
import { createDefaultLogger } from '../../src/logging/logger.js'
import { string } from '../../src/serdes/string.js'
import { consumerDeps, FakeBatch, FakeEngine, FakeSender, records } from '../runtime/fake-engine.js'

const refused = (topic: string) => new KafkitError('KAFKIT_AUTH', `not authorized to write to topic '${topic}' (TOPIC_AUTHORIZATION_FAILED)`, { retriable: false, context: { topic, reason: 'authorization' } })

describe('HeldPartitions', () => {
  test('keeps the reasons it knows (credentials, authorization) and calls any other one other', () => {
    const held = new HeldPartitions(() => 0)
    const report = { topic: 'orders', offset: '3', errorCode: 'KAFKIT_AUTH', errorMessage: 'no' }
    held.retrying({ ...report, partition: 0, errorReason: 'authorization' })
    held.retrying({ ...report, partition: 1, errorReason: 'credentials' })
    held.retrying({ ...report, partition: 2, errorReason: 'delivery-timeout' })
    held.retrying({ ...report, partition: 3 })
    expect(held.snapshot().map((h) => h.reason)).toEqual(['authorization', 'credentials', 'other', 'other'])
  })
})

describe('a dead-letter write refused for a missing ACL, through a consumer\'s events', () => {
  test('holds the partition in the report with reason authorization (not ready, live) after the handler\'s own retries, and the acknowledged write clears it', async () => {
    const telemetry = new Telemetry('c1', createDefaultLogger('silent'), { metrics: { prometheus: false }, tracing: false })
    const engine = new FakeEngine()
    const sender = new FakeSender()
    let refusing = true
    let report: ReturnType<typeof telemetry.health> | undefined
    sender.auto = (written, attempt) => {
      if (attempt === 4) report = telemetry.health({ maxPartitionHoldMs: 0 })
      if (attempt === 5) refusing = false
      return refusing ? refused(written[0]!.topic) : undefined
    }
    const handled: string[] = []
    const consumer = telemetry.consumer(consumerDeps(engine, sender), (deps) =>
      new KafkitConsumer(deps, { groupId: 'g1', shutdown: false, deadLetter: true, retry: { attempts: 1, backoff: { initialMs: 1, maxMs: 2 } } }).handle(defineTopic({ name: 'orders', value: string() }), (m) => {
        handled.push(m.value)
        if (m.value === 'a') throw new Error('no such user')
      }),
    )
    await consumer.start()
    engine.emit('connect')
    engine.emit('group-join', { memberId: 'm1', isLeader: true, assignment: { orders: [0] } })
    await engine.eachBatch!(new FakeBatch('orders', records('orders', ['a', 'b'])))
    // Two handler tries (one retry), then three refused writes before the report.
    expect(report).toMatchObject({ live: true, ready: false, consumers: [{ state: 'running', heldPartitions: [{ topic: 'orders', partition: 0, offset: '0', errorCode: 'KAFKIT_AUTH', reason: 'authorization', attempts: 4 }] }] })
    expect(report?.problems.join('\n')).toContain('the broker refuses its principal an ACL')
    expect(report?.problems.join('\n')).toContain("write to orders.dlq: not authorized to write to topic 'orders.dlq'")
    expect(handled).toEqual(['a', 'a', 'b'])
    expect(sender.sent.flat().map((r) => r.topic)).toEqual(['orders.dlq'])
    // Written: the partition moved on, before its batch ended.
    expect(telemetry.health({ maxPartitionHoldMs: 0 })).toMatchObject({ live: true, ready: true, problems: [], consumers: [{ heldPartitions: [] }] })
    await consumer.stop()
  })
})
