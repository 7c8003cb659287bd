import type { MeterProvider } from '@opentelemetry/api'
import { describe, expect, test } from 'vitest'
import { KafkitConsumer } from '../../src/consumer/consumer.js'
import { defineTopic } from '../../src/contract.js'
import { Telemetry } from '../../src/instrumentation/telemetry.js'
import { createDefaultLogger } from '../../src/logging/logger.js'
import { string } from '../../src/serdes/string.js'
import { consumerDeps, FakeBatch, FakeEngine, FakeSender, records } from '../runtime/fake-engine.js'

/** A meter whose instruments throw on every recording, as a broken metrics SDK might. */
const throwingMeters: MeterProvider = {
  getMeter: () =>
    new Proxy({}, {
      get: () => () => ({ add: () => {}, record: () => { throw new Error('metrics backend broken') }, addCallback: () => {}, removeCallback: () => {} }),
    }) as ReturnType<MeterProvider['getMeter']>,
}

describe('instrumentation never fails a handler', () => {
  test('a metric that cannot be recorded leaves a handled message handled once: no retry, no dead letter', async () => {
    const telemetry = new Telemetry('c1', createDefaultLogger('silent'), { metrics: { meterProvider: throwingMeters, prometheus: false }, tracing: false })
    const engine = new FakeEngine()
    const sender = new FakeSender()
    let calls = 0
    const consumer = telemetry.consumer(consumerDeps(engine, sender), (deps) =>
      new KafkitConsumer(deps, { groupId: 'g1', shutdown: false, retry: { attempts: 2, backoff: { initialMs: 1, maxMs: 1 } } }).handle(defineTopic({ name: 'orders', value: string() }), () => void calls++),
    )
    await consumer.start()
    const batch = new FakeBatch('orders', records('orders', ['a', 'b']))
    await engine.eachBatch!(batch)
    expect(calls).toBe(2)
    expect(batch.resolved.at(-1)).toBe('1')
    expect(sender.attempts).toEqual([])
    await consumer.stop()
  })
})
