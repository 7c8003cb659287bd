// FastHistogram exports exactly what a prom-client Histogram with the same definition and observations exports.
import { Histogram, Registry } from 'prom-client'
import { describe, expect, test } from 'vitest'
import { FastHistogram } from '../../src/instrumentation/histogram.js'

const definition = { name: 'kafkit_test_duration_seconds', help: 'A test histogram', labelNames: ['client_id', 'group', 'outcome'], buckets: [0.001, 0.01, 0.1, 1] }
const observations: [Record<string, string>, number][] = [
  [{ client_id: 'a', group: 'g', outcome: 'success' }, 0.0005],
  [{ client_id: 'a', group: 'g', outcome: 'success' }, 0.001],
  [{ client_id: 'a', group: 'g', outcome: 'success' }, 0.05],
  [{ client_id: 'a', group: 'g', outcome: 'error' }, 2.5],
  [{ client_id: 'b', group: 'g', outcome: 'success' }, 0],
  [{ client_id: 'a', group: 'g', outcome: 'success' }, 0.1],
]

function both(): { fast: FastHistogram; fastRegistry: Registry; reference: Histogram<string>; referenceRegistry: Registry } {
  const fastRegistry = new Registry()
  const referenceRegistry = new Registry()
  return {
    fast: new FastHistogram({ ...definition, registers: [fastRegistry] }),
    fastRegistry,
    reference: new Histogram({ ...definition, registers: [referenceRegistry] }),
    referenceRegistry,
  }
}

describe('FastHistogram', () => {
  test('text format and JSON are those of prom-client, through children and through observe(labels, value)', async () => {
    const { fast, fastRegistry, reference, referenceRegistry } = both()
    const child = fast.labels({ client_id: 'a', group: 'g', outcome: 'success' })
    for (const [labels, value] of observations) {
      if (labels['client_id'] === 'a' && labels['outcome'] === 'success') child.observe(value)
      else fast.observe(labels, value)
      reference.observe(labels, value)
    }
    expect(await fastRegistry.metrics()).toBe(await referenceRegistry.metrics())
    expect(await fastRegistry.getMetricsAsJSON()).toEqual(await referenceRegistry.getMetricsAsJSON())
    expect(await fastRegistry.metrics()).toContain('kafkit_test_duration_seconds_bucket{le="0.001",client_id="a",group="g",outcome="success"} 2')
  })

  test('reset empties it; a child made before observes again afterwards, as in prom-client', async () => {
    const { fast, fastRegistry, reference, referenceRegistry } = both()
    const labels = { client_id: 'a', group: 'g', outcome: 'success' }
    const fastChild = fast.labels(labels)
    const referenceChild = reference.labels(labels)
    fastChild.observe(0.2)
    referenceChild.observe(0.2)
    fastRegistry.resetMetrics()
    referenceRegistry.resetMetrics()
    expect(await fastRegistry.metrics()).toBe(await referenceRegistry.metrics())
    fastChild.observe(0.3)
    referenceChild.observe(0.3)
    expect(await fastRegistry.metrics()).toBe(await referenceRegistry.metrics())
  })

  test('refuses unknown labels, the reserved le and values that are not finite numbers', () => {
    const { fast } = both()
    expect(() => fast.labels({ client_id: 'a', nope: 'x' })).toThrow(/not included in initial labelset/)
    expect(() => new FastHistogram({ ...definition, name: 'other', labelNames: ['le'], registers: [] })).toThrow(/reserved/)
    expect(() => fast.labels({ client_id: 'a' }).observe(Number.NaN)).toThrow(TypeError)
  })
})
