import { describe, expect, test } from 'vitest'
import { ConsumerHealthTracker, judgeHealth } from '../../src/instrumentation/health.js'

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
