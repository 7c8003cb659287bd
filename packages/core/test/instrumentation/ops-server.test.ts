import { Registry, Counter } from 'prom-client'
import { describe, expect, test } from 'vitest'
import { judgeHealth, ConsumerHealthTracker } from '../../src/instrumentation/health.js'
import { startOpsServer, type OpsSource } from '../../src/index.js'

describe('startOpsServer', () => {
  test('serves /metrics from the registry and /readyz, /livez as 200 or 503 with the report', async () => {
    const registry = new Registry()
    new Counter({ name: 'kafkit_probe_total', help: 'probe', registers: [registry] }).inc(4)
    const tracker = new ConsumerHealthTracker('g')
    const source: OpsSource = { prometheus: registry, health: (options) => judgeHealth([tracker.snapshot()], options) }
    const ops = await startOpsServer(source, { port: 0, host: '127.0.0.1' })
    try {
      const metrics = await fetch(`${ops.url}/metrics`)
      expect(metrics.status).toBe(200)
      expect(await metrics.text()).toContain('kafkit_probe_total 4')

      const notReady = await fetch(`${ops.url}/readyz`)
      expect(notReady.status).toBe(503)
      expect(await notReady.json()).toMatchObject({ ready: false, live: true, problems: ['consumer g is starting'] })
      expect((await fetch(`${ops.url}/livez`)).status).toBe(200)

      tracker.connected()
      tracker.joined({ orders: [0] })
      expect((await fetch(`${ops.url}/readyz`)).status).toBe(200)
      tracker.crashed(new Error('auth'), false)
      expect((await fetch(`${ops.url}/livez`)).status).toBe(503)
      expect((await fetch(`${ops.url}/other`)).status).toBe(404)
    } finally {
      await ops.close()
    }
  })

  test('a partition held past maxPartitionHoldMs answers /readyz 503 with the held partition in the body; /livez stays 200', async () => {
    let now = 1_000_000
    const tracker = new ConsumerHealthTracker('g', () => now)
    tracker.connected()
    tracker.joined({ orders: [0] })
    tracker.polled()
    const source: OpsSource = { prometheus: undefined, health: (options) => judgeHealth([tracker.snapshot()], options) }
    const ops = await startOpsServer(source, { port: 0, host: '127.0.0.1', maxPartitionHoldMs: 5_000 })
    try {
      tracker.retrying({ topic: 'orders', partition: 0, offset: '12', errorCode: 'KAFKIT_REGISTRY', errorMessage: 'refused (HTTP 403): check the registry credentials', errorReason: 'credentials' })
      now += 5_000
      const held = await fetch(`${ops.url}/readyz`)
      expect(held.status).toBe(503)
      expect(await held.json()).toMatchObject({ ready: false, live: true, consumers: [{ groupId: 'g', heldPartitions: [{ topic: 'orders', partition: 0, offset: '12', reason: 'credentials', attempts: 1, heldMs: 5_000 }] }] })
      expect((await fetch(`${ops.url}/livez`)).status).toBe(200)
      tracker.progressed('orders', 0)
      expect((await fetch(`${ops.url}/readyz`)).status).toBe(200)
    } finally {
      await ops.close()
    }
  })
})
