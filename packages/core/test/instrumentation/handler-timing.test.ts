// The handler-duration histogram when the runtime times message handlers itself (one clock
// read per message, no wrapper call): every call is counted once, in its outcome's series, and
// a slow call lands in the bucket its duration says, whether it returned, threw or resolved.
import type { Registry } from 'prom-client'
import { afterEach, describe, expect, test } from 'vitest'
import { KafkitConsumer } from '../../src/consumer/consumer.js'
import { defineTopic } from '../../src/contract.js'
import { Telemetry } from '../../src/instrumentation/telemetry.js'
import { createDefaultLogger } from '../../src/logging/logger.js'
import type { MessageHandler } from '../../src/runtime/message.js'
import { string } from '../../src/serdes/string.js'
import { consumerDeps, FakeBatch, FakeEngine, FakeSender, records } from '../runtime/fake-engine.js'

const Orders = defineTopic({ name: 'orders', value: string() })
const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

/** Busy for at least `ms` by the clock: a synchronous handler that takes that long. */
function busy(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // spin
  }
}

/** A consumer with the default telemetry (Prometheus on, tracing off) and `handler`; the histogram's samples after `values` were handled in one batch. */
async function histogramAfter(values: string[], handler: MessageHandler<typeof Orders>, listen?: (consumer: KafkitConsumer) => void) {
  const telemetry = new Telemetry('c1', createDefaultLogger('silent'), { metrics: { prometheus: true }, tracing: false })
  const engine = new FakeEngine()
  const consumer = telemetry.consumer(consumerDeps(engine, new FakeSender()), (deps) =>
    new KafkitConsumer(deps, { groupId: 'g1', shutdown: false, retry: { attempts: 2, backoff: { initialMs: 1, maxMs: 1 } } }).handle(Orders, handler),
  )
  listen?.(consumer)
  await consumer.start()
  stops.push(() => consumer.stop())
  const batch = new FakeBatch('orders', records('orders', values))
  await engine.eachBatch!(batch)
  const registry = telemetry.prometheus!.registry as Registry
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'kafkit_handler_duration_seconds')!
  // A histogram's samples carry the name of their series (_bucket, _sum, _count).
  const samples = metric.values as (typeof metric.values[number] & { metricName?: string })[]
  const sample = (suffix: string, outcome: string, le?: number | string) =>
    samples.find((v) => v.metricName === `kafkit_handler_duration_seconds${suffix}` && v.labels['outcome'] === outcome && (le === undefined || v.labels['le'] === le))?.value ?? 0
  return { sample, resolved: batch.resolved }
}

describe('handler durations timed by the runtime', () => {
  test('a run of synchronous handlers: each message is one observation, and only the slow one lands above the 100 ms bound', async () => {
    const { sample, resolved } = await histogramAfter(['a', 'b', 'slow', 'c', 'd'], (m) => {
      if (m.value === 'slow') busy(200)
    })
    expect(sample('_count', 'success')).toBe(5)
    // The slow call takes at least 200 ms; the four others do next to nothing (the bound is
    // far above any pause of a loaded machine), and the one after the slow one starts where
    // it ended, not where it started.
    expect(sample('_bucket', 'success', 0.1)).toBe(4)
    expect(sample('_bucket', 'success', '+Inf')).toBe(5)
    expect(sample('_sum', 'success')).toBeGreaterThanOrEqual(0.2)
    expect(resolved.at(-1)).toBe('4')
  })

  test('a handler that throws is one error observation with its duration; its retry that succeeds is one success', async () => {
    let failedOnce = false
    const { sample } = await histogramAfter(['a', 'b'], (m) => {
      if (m.value === 'b' && !failedOnce) {
        failedOnce = true
        busy(3)
        throw new Error('boom')
      }
    })
    expect(sample('_count', 'error')).toBe(1)
    expect(sample('_bucket', 'error', 0.0025)).toBe(0)
    expect(sample('_sum', 'error')).toBeGreaterThanOrEqual(0.003)
    // 'a', and 'b' on its second try.
    expect(sample('_count', 'success')).toBe(2)
  })

  test('a handler that returns a promise is timed to its settlement, successes and rejections alike', async () => {
    let rejectedOnce = false
    const { sample } = await histogramAfter(['a', 'b', 'c'], async (m) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      if (m.value === 'c' && !rejectedOnce) {
        rejectedOnce = true
        throw new Error('boom')
      }
    })
    // a, b, and c on its retry; c's first try an error. Each waited at least 5 ms.
    expect(sample('_count', 'success')).toBe(3)
    expect(sample('_count', 'error')).toBe(1)
    expect(sample('_bucket', 'success', 0.0025)).toBe(0)
    expect(sample('_bucket', 'error', 0.0025)).toBe(0)
  })

  test('with a listener for each message’s duration, the histogram still counts each message once', async () => {
    const durations: number[] = []
    const { sample } = await histogramAfter(['a', 'b', 'c'], () => {}, (consumer) => consumer.on('consumer.handled', (e) => void durations.push(e.durationMs)))
    expect(durations).toHaveLength(3)
    expect(sample('_count', 'success')).toBe(3)
  })
})
