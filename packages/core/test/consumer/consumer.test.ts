import { describe, expect, it } from 'vitest'
import { KafkitConsumer } from '../../src/consumer/consumer.js'
import { defineTopic } from '../../src/contract.js'
import { isKafkitError, KafkitError } from '../../src/errors.js'
import { string } from '../../src/serdes/string.js'
import { consumerDeps, FakeBatch, FakeEngine, FakeSender, Gate, records, unhandledRejectionsDuring } from '../runtime/fake-engine.js'

// The consumer's start/stop life over a fake engine in kafkit's terms: a stop that comes
// while start() is under way, and a start() that fails, leave nothing connected.

const Orders = defineTopic({ name: 'orders', value: string() })

function consumerOver(engine: FakeEngine) {
  const deps = consumerDeps(engine)
  const consumer = new KafkitConsumer(deps, { groupId: 'g1', shutdown: false }).handle(Orders, () => {})
  const events: string[] = []
  for (const name of ['consumer.started', 'consumer.stopping', 'consumer.stopped'] as const) consumer.on(name, () => events.push(name))
  return { consumer, deps, events }
}

describe('KafkitConsumer lifecycle', () => {
  it('stop() while start() is connecting: the start gives up, disconnects, and never runs', async () => {
    const engine = new FakeEngine()
    engine.gates.connect = new Gate()
    const { consumer, deps, events } = consumerOver(engine)
    const starting = consumer.start()
    while (!engine.calls.includes('connect')) await new Promise((r) => setImmediate(r))
    const stopping = consumer.stop()
    engine.gates.connect.open()
    await expect(starting).rejects.toSatisfy((e) => isKafkitError(e) && e.code === 'KAFKIT_ABORTED')
    await stopping
    expect(engine.calls).toEqual(['connect', 'disconnect'])
    expect(deps.released).toBe(1)
    expect(events).toEqual(['consumer.stopping', 'consumer.stopped'])
    await expect(consumer.start()).rejects.toThrow(/start\(\) called on a stopped consumer/)
  })

  it('stop() while the engine starts running: the running engine is disconnected, not left fetching', async () => {
    const engine = new FakeEngine()
    engine.gates.run = new Gate()
    const { consumer, deps, events } = consumerOver(engine)
    const starting = consumer.start()
    while (!engine.calls.includes('run')) await new Promise((r) => setImmediate(r))
    const stopping = consumer.stop()
    engine.gates.run.open()
    await expect(starting).rejects.toSatisfy((e) => isKafkitError(e) && e.code === 'KAFKIT_ABORTED')
    await stopping
    expect(engine.calls.at(-1)).toBe('disconnect')
    expect(deps.released).toBe(1)
    expect(events).not.toContain('consumer.started')
  })

  it('a start() that fails disconnects and releases, and a later stop() releases nothing twice', async () => {
    const engine = new FakeEngine()
    engine.failures.subscribe = new Error('subscribe failed')
    const { consumer, deps } = consumerOver(engine)
    await expect(consumer.start()).rejects.toThrow('subscribe failed')
    expect(engine.calls).toEqual(['connect', 'subscribe', 'disconnect'])
    expect(deps.released).toBe(1)
    await consumer.stop()
    expect(deps.released).toBe(1)
    expect(engine.calls.filter((c) => c === 'disconnect')).toHaveLength(1)
  })

  it('a stop() after a normal start stops the engine, then disconnects and releases once', async () => {
    const engine = new FakeEngine()
    const { consumer, deps, events } = consumerOver(engine)
    await consumer.start()
    await Promise.all([consumer.stop(), consumer.stop()])
    expect(engine.calls).toEqual(['connect', 'subscribe', 'run', 'stop', 'disconnect'])
    expect(deps.released).toBe(1)
    expect(events).toEqual(['consumer.started', 'consumer.stopping', 'consumer.stopped'])
  })
})

describe('KafkitConsumer failing for good', () => {
  it('a record that can be neither handled nor dead-lettered stops the consumer visibly: crash event, done rejects', async () => {
    const engine = new FakeEngine()
    const sender = new FakeSender()
    sender.auto = () => new KafkitError('KAFKIT_AUTH', 'not authorized (TOPIC_AUTHORIZATION_FAILED)', { retriable: false })
    const deps = consumerDeps(engine, sender)
    const consumer = new KafkitConsumer(deps, { groupId: 'g1', shutdown: false, retry: false }).handle(Orders, () => {
      throw new KafkitError('KAFKIT_HANDLER', 'rejected', { retriable: false })
    })
    const crashes: { restart: boolean }[] = []
    consumer.on('consumer.crash', (e) => crashes.push(e))
    await consumer.start()
    const batch = new FakeBatch('orders', records('orders', ['a'], 41))
    await engine.eachBatch!(batch)
    await expect(consumer.done).rejects.toSatisfy((e) => isKafkitError(e) && e.code === 'KAFKIT_AUTH' && /orders\[0\]@41 to orders\.dlq/.test(e.message))
    expect(crashes).toMatchObject([{ restart: false }])
    expect(batch.resolved).toEqual([])
    expect(engine.calls.slice(-2)).toEqual(['stop', 'disconnect'])
  })
})

describe('KafkitConsumer when the engine gives up', () => {
  it('a crash the engine does not restart from, while running, rejects done, releases everything and reports crashed', async () => {
    const engine = new FakeEngine()
    const { consumer, deps, events } = consumerOver(engine)
    const crashes: { restart: boolean }[] = []
    consumer.on('consumer.crash', (e) => crashes.push(e))
    await consumer.start()
    const cause = new KafkitError('KAFKIT_AUTH', 'SASL authentication failed', { retriable: false })
    engine.emit('crash', cause, false)
    await expect(consumer.done).rejects.toBe(cause)
    expect(crashes).toMatchObject([{ restart: false }])
    expect(engine.calls.slice(-2)).toEqual(['stop', 'disconnect'])
    expect(deps.released).toBe(1)
    expect(events).toEqual(['consumer.started', 'consumer.stopping', 'consumer.stopped'])
  })

  it('a fatal error whose stop then fails too still only rejects done: the failed stop is no unhandled rejection', async () => {
    const engine = new FakeEngine()
    const { consumer, deps } = consumerOver(engine)
    await consumer.start()
    // The engine's stop fails as well (kafkajs' leave with the coordinator gone).
    engine.stop = async () => {
      throw new KafkitError('KAFKIT_KAFKA', 'leave group failed: coordinator not available', { retriable: true })
    }
    const cause = new KafkitError('KAFKIT_AUTH', 'SASL authentication failed', { retriable: false })
    const unhandled = await unhandledRejectionsDuring(async () => {
      engine.emit('crash', cause, false)
      await expect(consumer.done).rejects.toBe(cause)
    })
    expect(unhandled).toEqual([])
    expect(deps.released).toBe(1)
  })

  it('a crash the engine restarts from only reports it', async () => {
    const engine = new FakeEngine()
    const { consumer, deps } = consumerOver(engine)
    const crashes: { restart: boolean }[] = []
    consumer.on('consumer.crash', (e) => crashes.push(e))
    await consumer.start()
    engine.emit('crash', new KafkitError('KAFKIT_KAFKA', 'connection lost'), true)
    expect(crashes).toMatchObject([{ restart: true }])
    expect(engine.calls).not.toContain('stop')
    expect(deps.released).toBe(0)
    await consumer.stop()
    await consumer.done
  })
})

describe('group changes', () => {
  it('one consumer.rebalancing per change, also for a change the engine reported only as a join with a new member id', async () => {
    const engine = new FakeEngine()
    const { consumer } = consumerOver(engine)
    const seen: string[] = []
    consumer.on('consumer.rebalancing', (e) => seen.push(`rebalancing:${e.reason}`))
    consumer.on('consumer.group-joined', (e) => seen.push(`joined:${e.memberId}:${e.joins}`))
    await consumer.start()
    engine.emit('group-join', { memberId: 'm1', isLeader: true, assignment: { orders: [0] } })
    // One change, reported by two partitions' heartbeats and the fetch loop.
    engine.emit('rebalancing', 'rebalance')
    engine.emit('rebalancing', 'rebalance')
    engine.emit('rebalancing', 'member-lost', new Error('UNKNOWN_MEMBER_ID'))
    engine.emit('group-join', { memberId: 'm1', isLeader: true, assignment: { orders: [0] } })
    // A restart or an eviction kafkajs met in its own commit: no report, a join under a new id.
    engine.emit('group-join', { memberId: 'm2', isLeader: true, assignment: { orders: [0] } })
    expect(seen).toEqual(['joined:m1:1', 'rebalancing:rebalance', 'joined:m1:2', 'rebalancing:member-lost', 'joined:m2:3'])
    await consumer.stop()
  })
})
