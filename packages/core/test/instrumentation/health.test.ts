import { describe, expect, test } from 'vitest'
import { isKafkitError } from '../../src/errors.js'
import { ConsumerHealthTracker, judgeHealth } from '../../src/instrumentation/health.js'
import { opsHandler } from '../../src/instrumentation/ops-server.js'

function tracker() {
  let now = 1_000_000
  const t = new ConsumerHealthTracker('g', () => now)
  return { t, advance: (ms: number) => (now += ms) }
}

describe('consumer health', () => {
  test('ready once connected and joined; an empty assignment is still ready', () => {
    const { t } = tracker()
    expect(judgeHealth([t.snapshot()])).toMatchObject({ live: true, ready: false, problems: ['consumer g is starting'] })
    t.connected()
    t.joined({})
    t.polled()
    expect(judgeHealth([t.snapshot()])).toMatchObject({ live: true, ready: true, problems: [] })
    t.joined({ orders: [0, 2], audit: [1] })
    expect(t.snapshot()).toMatchObject({ state: 'running', assignedPartitions: 3, lastPollAgeMs: 0 })
  })

  test('not ready while rebalancing or restarting, ready again after the next join', () => {
    const { t } = tracker()
    t.connected()
    t.joined({ orders: [0] })
    t.rebalancing()
    expect(judgeHealth([t.snapshot()]).ready).toBe(false)
    t.crashed(new Error('coordinator gone'), true)
    expect(judgeHealth([t.snapshot()])).toMatchObject({ live: true, ready: false })
    t.joined({ orders: [0] })
    expect(judgeHealth([t.snapshot()])).toMatchObject({ live: true, ready: true })
  })

  test('not live after a crash without restart, or when polls stop for longer than maxPollIntervalMs', () => {
    const crashed = tracker().t
    crashed.connected()
    crashed.joined({})
    crashed.crashed(new Error('SASL authentication failed'), false)
    expect(judgeHealth([crashed.snapshot()])).toMatchObject({ live: false, ready: false, problems: ['consumer g crashed and does not restart: SASL authentication failed'] })

    const { t, advance } = tracker()
    t.connected()
    t.joined({ orders: [0] })
    t.polled()
    advance(60_000)
    expect(judgeHealth([t.snapshot()], { maxPollIntervalMs: 60_000 }).live).toBe(true)
    advance(1)
    expect(judgeHealth([t.snapshot()], { maxPollIntervalMs: 60_000 })).toMatchObject({ live: false, ready: false })
  })

  test('a stopped consumer is live but not ready (the process is shutting down)', () => {
    const { t } = tracker()
    t.connected()
    t.joined({})
    t.stopped()
    expect(judgeHealth([t.snapshot()])).toMatchObject({ live: true, ready: false, problems: ['consumer g is stopped'] })
  })

  test('a consumer that began a graceful stop is not ready, and says so', () => {
    const { t } = tracker()
    t.connected()
    t.joined({ orders: [0] })
    t.stopping()
    expect(judgeHealth([t.snapshot()])).toMatchObject({ live: true, ready: false, problems: ['consumer g is stopping'] })
  })

  test('a closing client is not ready, whatever its consumers say', () => {
    const { t } = tracker()
    t.connected()
    t.joined({ orders: [0] })
    expect(judgeHealth([t.snapshot()]).ready).toBe(true)
    expect(judgeHealth([t.snapshot()], {}, true)).toMatchObject({ live: true, ready: false, problems: ['the client is closing'] })
  })

  test('a consumer stopped after a crash it does not restart from stays not live', () => {
    const { t } = tracker()
    t.connected()
    t.joined({ orders: [0] })
    t.crashed(new Error('cannot write orders[0]@5 to orders.dlq'), false)
    t.stopped()
    expect(judgeHealth([t.snapshot()])).toMatchObject({ live: false, ready: false })
  })
})

describe('health through a consumer\'s group changes', () => {
  test('a join ends rebalancing, also after a change only the join revealed (a new member id)', async () => {
    const { Telemetry } = await import('../../src/instrumentation/telemetry.js')
    const { createDefaultLogger } = await import('../../src/logging/logger.js')
    const { KafkitConsumer } = await import('../../src/consumer/consumer.js')
    const { defineTopic } = await import('../../src/contract.js')
    const { string } = await import('../../src/serdes/string.js')
    const { consumerDeps, FakeEngine } = await import('../runtime/fake-engine.js')
    const telemetry = new Telemetry('c1', createDefaultLogger('silent'), { metrics: { prometheus: false }, tracing: false })
    const engine = new FakeEngine()
    const consumer = telemetry.consumer(consumerDeps(engine), (deps) => new KafkitConsumer(deps, { groupId: 'g1', shutdown: false }).handle(defineTopic({ name: 'orders', value: string() }), () => {}))
    await consumer.start()
    const state = () => telemetry.health().consumers[0]?.state
    engine.emit('connect')
    engine.emit('group-join', { memberId: 'm1', isLeader: true, assignment: { orders: [0] } })
    expect(state()).toBe('running')
    engine.emit('rebalancing', 'rebalance')
    expect(state()).toBe('rebalancing')
    engine.emit('group-join', { memberId: 'm1', isLeader: true, assignment: { orders: [0] } })
    expect(state()).toBe('running')
    // A restart: kafkajs joins under a new member id without reporting a rebalance first.
    engine.emit('group-join', { memberId: 'm2', isLeader: true, assignment: { orders: [0] } })
    expect(state()).toBe('running')
    expect(telemetry.health().ready).toBe(true)
    await consumer.stop()
  })
})

describe('partitions held by retries', () => {
  const refused = { topic: 'orders', partition: 3, errorCode: 'KAFKIT_REGISTRY', errorMessage: 'Schema registry refused the credentials (HTTP 401): check the registry credentials', errorReason: 'credentials' }
  const running = () => {
    const h = tracker()
    h.t.connected()
    h.t.joined({ orders: [3, 4] })
    h.t.polled()
    return h
  }

  test('a partition held past maxPartitionHoldMs is listed with its record, error, reason, since and attempts, and makes the client not ready but live', () => {
    const { t, advance } = running()
    t.retrying({ ...refused, offset: '41' })
    advance(30_000)
    t.retrying({ ...refused, offset: '41' })
    // Held, but not yet for the limit: nothing to report.
    expect(judgeHealth([t.snapshot()], { maxPartitionHoldMs: 60_000 })).toMatchObject({ live: true, ready: true, problems: [], consumers: [{ heldPartitions: [] }] })
    advance(30_000)
    t.retrying({ ...refused, offset: '41' })
    const report = judgeHealth([t.snapshot()], { maxPartitionHoldMs: 60_000 })
    expect(report).toMatchObject({ live: true, ready: false })
    expect(report.consumers[0]?.heldPartitions).toEqual([
      { topic: 'orders', partition: 3, offset: '41', errorCode: 'KAFKIT_REGISTRY', errorMessage: refused.errorMessage, reason: 'credentials', since: new Date(1_000_000).toISOString(), heldMs: 60_000, attempts: 3, lastAttemptAgeMs: 0 },
    ])
    expect(report.problems).toEqual([
      `consumer g holds orders[3] at offset 41 for 60000 ms (limit 60000 ms) after 3 failed attempts: the schema registry refuses its credentials (KAFKIT_REGISTRY: ${refused.errorMessage})`,
    ])
  })

  test('the default limit is 60 s; any other retriable failure is reason other', () => {
    const { t, advance } = running()
    t.retrying({ topic: 'orders', partition: 4, offset: '7', errorCode: 'KAFKIT_REGISTRY', errorMessage: 'Schema registry unreachable: ECONNREFUSED' })
    advance(59_999)
    expect(judgeHealth([t.snapshot()]).ready).toBe(true)
    advance(1)
    const report = judgeHealth([t.snapshot()])
    expect(report.ready).toBe(false)
    expect(report.consumers[0]?.heldPartitions).toMatchObject([{ partition: 4, reason: 'other', attempts: 1 }])
    expect(report.problems[0]).toContain('after 1 failed attempt: a retriable failure (KAFKIT_REGISTRY: Schema registry unreachable: ECONNREFUSED)')
  })

  test('clears once the partition moves on: its batch ended, or its record was parked; a retry of another offset starts a new hold', () => {
    const { t, advance } = running()
    const held = () => judgeHealth([t.snapshot()], { maxPartitionHoldMs: 1_000 }).consumers[0]?.heldPartitions
    t.retrying({ ...refused, offset: '41' })
    advance(5_000)
    expect(held()).toMatchObject([{ offset: '41' }])
    // Another partition's batch says nothing about this one.
    t.progressed('orders', 4)
    t.progressed('payments', 3)
    expect(held()).toMatchObject([{ offset: '41' }])
    t.progressed('orders', 3)
    expect(held()).toEqual([])
    expect(judgeHealth([t.snapshot()], { maxPartitionHoldMs: 1_000 })).toMatchObject({ ready: true, problems: [] })

    t.retrying({ ...refused, offset: '50' })
    advance(5_000)
    // Offset 50 handled, 51 fails: the partition moved, the clock starts again.
    t.retrying({ ...refused, offset: '51' })
    expect(held()).toEqual([])
    advance(1_000)
    expect(held()).toMatchObject([{ offset: '51', attempts: 1, heldMs: 1_000 }])
  })

  test('a rejoin keeps the holds of partitions still assigned and drops the others; a stop drops all', () => {
    const { t, advance } = running()
    t.retrying({ ...refused, offset: '41' })
    t.retrying({ ...refused, partition: 4, offset: '9' })
    advance(2_000)
    t.rebalancing()
    t.joined({ orders: [4] })
    advance(1_000)
    // The record a revoked batch left is fetched again and fails again: the same hold goes on.
    t.retrying({ ...refused, partition: 4, offset: '9' })
    expect(judgeHealth([t.snapshot()], { maxPartitionHoldMs: 1_000 }).consumers[0]?.heldPartitions).toMatchObject([{ partition: 4, offset: '9', heldMs: 3_000, attempts: 2 }])
    t.stopped()
    expect(t.snapshot().heldPartitions).toEqual([])
  })

  test('a stalled poll is not a liveness failure while a held record is being retried, but is once the retries stop too', () => {
    const { t, advance } = running()
    // The hold blocks the engine's fetches from that broker: no poll completes meanwhile.
    t.retrying({ ...refused, offset: '41' })
    for (let i = 0; i < 40; i++) {
      advance(10_000)
      t.retrying({ ...refused, offset: '41' })
    }
    const held = judgeHealth([t.snapshot()])
    expect(t.snapshot().lastPollAgeMs).toBe(400_000)
    expect(held).toMatchObject({ live: true, ready: false })
    expect(held.problems).toHaveLength(1)
    expect(held.problems[0]).toContain('holds orders[3] at offset 41')
    // A handler that now hangs on its next attempt: no retry, no poll.
    advance(300_001)
    expect(judgeHealth([t.snapshot()])).toMatchObject({ live: false, ready: false })
  })

  test('maxPartitionHoldMs Infinity never reports a hold', () => {
    const { t, advance } = running()
    t.retrying({ ...refused, offset: '41' })
    advance(3_600_000)
    t.polled()
    expect(judgeHealth([t.snapshot()], { maxPartitionHoldMs: Number.POSITIVE_INFINITY })).toMatchObject({ live: true, ready: true, problems: [], consumers: [{ heldPartitions: [] }] })
  })
})

describe('held partitions through a consumer\'s events', () => {
  test('a decode the registry refuses holds the partition in the report with reason credentials, and the end of its batch clears it', async () => {
    const { Telemetry } = await import('../../src/instrumentation/telemetry.js')
    const { createDefaultLogger } = await import('../../src/logging/logger.js')
    const { KafkitConsumer } = await import('../../src/consumer/consumer.js')
    const { defineTopic } = await import('../../src/contract.js')
    const { KafkitError } = await import('../../src/errors.js')
    const { consumerDeps, FakeBatch, FakeEngine, FakeSender, records } = await import('../runtime/fake-engine.js')
    let refusing = true
    const serde = {
      format: 'registry-like',
      encode: (value: string) => Buffer.from(value),
      decode: (bytes: Buffer) => {
        if (refusing) throw new KafkitError('KAFKIT_REGISTRY', 'Schema registry refused the credentials (HTTP 401): check the registry credentials', { retriable: true, context: { reason: 'credentials', status: 401 } })
        return bytes.toString()
      },
    }
    const telemetry = new Telemetry('c1', createDefaultLogger('silent'), { metrics: { prometheus: false }, tracing: false })
    const engine = new FakeEngine()
    const sender = new FakeSender()
    const handled: string[] = []
    const consumer = telemetry.consumer(consumerDeps(engine, sender), (deps) =>
      new KafkitConsumer(deps, { groupId: 'g1', shutdown: false, deadLetter: true, retry: { attempts: 1, backoff: { initialMs: 1, maxMs: 2 } } }).handle(defineTopic({ name: 'orders', value: serde }), (m) => void handled.push(m.value)),
    )
    let retries = 0
    const reasons = new Set<string | undefined>()
    consumer.on('consumer.retry', (e) => {
      reasons.add(e.errorReason)
      // Well past retry.attempts: still held, then the registry takes the credentials.
      if (++retries === 5) refusing = false
    })
    let report: ReturnType<typeof telemetry.health> | undefined
    consumer.on('consumer.retry', () => void (retries === 4 && (report = telemetry.health({ maxPartitionHoldMs: 0 }))))
    await consumer.start()
    engine.emit('connect')
    engine.emit('group-join', { memberId: 'm1', isLeader: true, assignment: { orders: [0] } })
    const batch = new FakeBatch('orders', records('orders', ['a', 'b']))
    await engine.eachBatch!(batch)
    expect(report).toMatchObject({ live: true, ready: false, consumers: [{ heldPartitions: [{ topic: 'orders', partition: 0, offset: '0', errorCode: 'KAFKIT_REGISTRY', reason: 'credentials', attempts: 4 }] }] })
    expect(report?.problems.join('\n')).toContain('the schema registry refuses its credentials')
    expect(reasons).toEqual(new Set(['credentials']))
    expect(handled).toEqual(['a', 'b'])
    expect(sender.attempts).toEqual([])
    // The held record decoded and was handled: no longer held, before its batch ends.
    expect(telemetry.health({ maxPartitionHoldMs: 0 })).toMatchObject({ live: true, ready: true, problems: [], consumers: [{ heldPartitions: [] }] })
    engine.emit('batch-end', { topic: 'orders', partition: 0, size: 2, lag: 0 })
    expect(telemetry.health({ maxPartitionHoldMs: 0 })).toMatchObject({ live: true, ready: true, problems: [], consumers: [{ heldPartitions: [] }] })
    await consumer.stop()
  })

  test('a handler retried in place: the hold ends when its record gets through, not when the batch ends (a batch that never ends, a slow rest of the batch)', async () => {
    const { Telemetry } = await import('../../src/instrumentation/telemetry.js')
    const { createDefaultLogger } = await import('../../src/logging/logger.js')
    const { KafkitConsumer } = await import('../../src/consumer/consumer.js')
    const { defineTopic } = await import('../../src/contract.js')
    const { string } = await import('../../src/serdes/string.js')
    const { consumerDeps, FakeBatch, FakeEngine, FakeSender, records } = await import('../runtime/fake-engine.js')
    const telemetry = new Telemetry('c1', createDefaultLogger('silent'), { metrics: { prometheus: false }, tracing: false })
    const engine = new FakeEngine()
    let failures = 0
    const heldWhileHandling: Record<string, number> = {}
    const consumer = telemetry.consumer(consumerDeps(engine, new FakeSender()), (deps) =>
      new KafkitConsumer(deps, { groupId: 'g1', shutdown: false, retry: { attempts: 5, backoff: { initialMs: 1, maxMs: 1 } } }).handle(defineTopic({ name: 'orders', value: string() }), (m) => {
        if (m.value === 'a' && failures < 2) {
          failures++
          throw new Error('db down')
        }
        heldWhileHandling[m.value] = telemetry.health({ maxPartitionHoldMs: 0 }).consumers[0]?.heldPartitions.length ?? -1
      }),
    )
    await consumer.start()
    engine.emit('connect')
    engine.emit('group-join', { memberId: 'm1', isLeader: true, assignment: { orders: [0] } })
    await engine.eachBatch!(new FakeBatch('orders', records('orders', ['a', 'b', 'c'])))
    // 'a' is handled at its third try, while still held; 'b' and 'c' see nothing held.
    expect(failures).toBe(2)
    expect(heldWhileHandling).toEqual({ a: 1, b: 0, c: 0 })
    // No batch end was emitted: the recovery alone ended the hold.
    expect(telemetry.health({ maxPartitionHoldMs: 0 })).toMatchObject({ ready: true, consumers: [{ heldPartitions: [] }] })
    await consumer.stop()
  })
})

describe('health options', () => {
  test('a negative or NaN maxPartitionHoldMs or maxPollIntervalMs is refused, KAFKIT_CONFIG naming the option and the value; 0 and Infinity are limits', () => {
    const { t } = tracker()
    for (const [option, value] of [['maxPartitionHoldMs', -1], ['maxPartitionHoldMs', Number.NaN], ['maxPartitionHoldMs', -Infinity], ['maxPollIntervalMs', -5_000]] as const) {
      let thrown: unknown
      try {
        judgeHealth([t.snapshot()], { [option]: value })
      } catch (error) {
        thrown = error
      }
      expect(isKafkitError(thrown) && thrown.code, `${option}: ${value}`).toBe('KAFKIT_CONFIG')
      expect((thrown as Error).message).toBe(`invalid health options: ${option} must be a number ≥ 0 (Infinity: no limit), got ${String(value)}`)
      expect(isKafkitError(thrown) && thrown.issues).toEqual([{ path: [option], message: expect.stringContaining(option) }])
    }
    expect(() => judgeHealth([t.snapshot()], { maxPartitionHoldMs: 0, maxPollIntervalMs: Infinity })).not.toThrow()
    expect(() => judgeHealth([t.snapshot()], { maxPartitionHoldMs: Infinity })).not.toThrow()
  })

  test('an ops endpoint with a negative maxPartitionHoldMs fails when it is made, not at its first probe', () => {
    const source = { prometheus: undefined, health: () => judgeHealth([]) }
    expect(() => opsHandler(source, { maxPartitionHoldMs: -1 })).toThrow(/maxPartitionHoldMs must be a number ≥ 0 \(Infinity: no limit\), got -1/)
  })
})

