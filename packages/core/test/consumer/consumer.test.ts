import { describe, expect, it } from 'vitest'
import { KafkitConsumer } from '../../src/consumer/consumer.js'
import { defineTopic } from '../../src/contract.js'
import { isKafkitError, KafkitError } from '../../src/errors.js'
import { string } from '../../src/serdes/string.js'
import { consumerDeps, FakeBatch, FakeEngine, FakeSender, Gate, records } from '../runtime/fake-engine.js'

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
