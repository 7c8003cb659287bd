// Contract: a consumer whose schema registry refuses its credentials (HTTP 401) shows the partition it holds in kafka.health() and on the ops server: /readyz answers 503 with the topic, partition, offset, KAFKIT_REGISTRY, reason 'credentials', since and attempts, while /livez stays 200 though no fetch completes; once the registry accepts the credentials again the hold clears, /readyz answers 200, and each record is handled once, none dead-lettered.
import type { Server } from 'node:http'
import { afterEach, expect, test } from 'vitest'
import { defineTopic, type HealthReport, Kafkit, startOpsServer, string } from '@kafkit/core'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { avro, SchemaRegistry } from '../../src/index.js'
import { cluster, createTopic, endOffset, produceRaw, registryFront } from './kafka-helpers.js'

const schema = { type: 'record', name: 'Reading', namespace: 'com.kafkit.it.credhealth', fields: [{ name: 'sensor', type: 'string' }, { name: 'celsius', type: 'double' }] } as const
const USER = 'orders-service'
const PASSWORD = 'Regi5try-s3cret-9c2e'
const basic = (password: string) => `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}`

let front: Server | undefined
afterEach(async () => {
  await new Promise((resolve) => (front ? front.close(resolve) : resolve(undefined)))
  front = undefined
})

/**
 * An authenticating front to the real registry, as a gateway before a managed registry is:
 * a request without basic auth for USER and the password it accepts gets 401 (the registry's
 * own answer shape), the rest is passed through. It starts out accepting another password.
 */
async function authFront(upstream: string): Promise<{ url: string; refused: () => number; accept: (password: string) => void }> {
  let accepted = basic('rotated-elsewhere')
  let refused = 0
  const made = await registryFront(upstream, (req, res) => {
    if (req.headers.authorization === accepted) return false
    refused++
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error_code":40101,"message":"Unauthorized"}')
    return true
  })
  front = made.server
  return { url: made.url, refused: () => refused, accept: (password) => void (accepted = basic(password)) }
}

async function probe(url: string): Promise<{ status: number; report: HealthReport }> {
  const res = await fetch(url)
  return { status: res.status, report: (await res.json()) as HealthReport }
}

test('a partition held by refused registry credentials shows on /readyz (503) with its record, reason and attempts, /livez stays 200; it clears once the registry accepts them, and each record is handled once', async () => {
  const topic = await createTopic('avro-cred-health')
  const writer = avro(schema, { registry: new SchemaRegistry({ url: cluster().schemaRegistryUrl }) })
  const values = [1.5, 2.5, 3.5, 4.5, 5.5]
  await produceRaw(topic, await Promise.all(values.map(async (celsius, i) => ({ key: Buffer.from(`k${i}`), value: await writer.encode({ sensor: 's1', celsius }, { topic, field: 'value' }) }))))

  const registry = await authFront(cluster().schemaRegistryUrl)
  const Readings = defineTopic({ name: topic, key: string(), value: avro(schema, { registry: new SchemaRegistry({ url: registry.url, auth: { username: USER, password: PASSWORD } }) }) })
  const kafka = new Kafkit({ clientId: uniqueName('avro-cred-health'), brokers: cluster().brokers, logLevel: 'nothing' })
  const groupId = uniqueName('avro-cred-health')
  const handled: string[] = []
  const deadLettered: string[] = []
  // Fetches every 200 ms while idle; a 3 s poll limit that the hold (which blocks the fetches of its broker) outlasts.
  const consumer = kafka.consumer({ groupId, fromBeginning: true, shutdown: false, maxWaitTimeMs: 200 })
  consumer.on('dlq.dispatched', (e) => deadLettered.push(e.offset))
  consumer.handle(Readings, (m) => void handled.push(m.key), { retry: { attempts: 1, backoff: { initialMs: 50, maxMs: 200 } }, deadLetter: true })
  const options = { maxPartitionHoldMs: 1_000, maxPollIntervalMs: 3_000 }
  const ops = await startOpsServer(kafka, { port: 0, host: '127.0.0.1', ...options })
  try {
    await consumer.start()
    const held = await waitFor(
      async () => {
        const ready = await probe(`${ops.url}/readyz`)
        const mine = ready.report.consumers.find((c) => c.groupId === groupId)
        // Held past the hold limit, and no fetch completed for longer than the poll limit.
        return ready.status === 503 && mine !== undefined && mine.heldPartitions.length > 0 && (mine.lastPollAgeMs ?? 0) > options.maxPollIntervalMs && ready
      },
      { timeoutMs: 60_000, message: '/readyz reports the held partition' },
    )
    const mine = held.report.consumers.find((c) => c.groupId === groupId)!
    expect(mine).toMatchObject({ state: 'running', connected: true })
    expect(mine.heldPartitions).toHaveLength(1)
    const hold = mine.heldPartitions[0]!
    expect(hold).toMatchObject({ topic, partition: 0, offset: '0', errorCode: 'KAFKIT_REGISTRY', reason: 'credentials' })
    expect(hold.attempts).toBeGreaterThanOrEqual(2)
    expect(hold.heldMs).toBeGreaterThanOrEqual(options.maxPartitionHoldMs)
    expect(Date.parse(hold.since)).toBeLessThanOrEqual(Date.now() - options.maxPartitionHoldMs)
    expect(hold.errorMessage).toContain('check the registry credentials')
    expect(held.report.ready).toBe(false)
    expect(held.report.live).toBe(true)
    const problem = held.report.problems.find((p) => p.includes(`holds ${topic}[0] at offset 0`))
    expect(problem).toContain('the schema registry refuses its credentials')
    expect(JSON.stringify(held.report)).not.toContain(PASSWORD)
    // Not a liveness failure: a restart does not fix credentials.
    const live = await probe(`${ops.url}/livez`)
    expect(live.status).toBe(200)
    expect(live.report.live).toBe(true)
    // kafka.health() says the same; a limit above the hold hides it.
    expect(kafka.health(options)).toMatchObject({ live: true, ready: false, consumers: [{ groupId, heldPartitions: [{ topic, partition: 0, offset: '0', reason: 'credentials' }] }] })
    expect(kafka.health({ ...options, maxPartitionHoldMs: 3_600_000 })).toMatchObject({ ready: true, consumers: [{ groupId, heldPartitions: [] }] })
    expect(handled).toEqual([])
    expect(deadLettered).toEqual([])

    registry.accept(PASSWORD)
    await waitFor(async () => handled.length === values.length && (await probe(`${ops.url}/readyz`)).status === 200, { timeoutMs: 60_000, message: 'every record handled and /readyz 200 once the registry accepts the credentials' })
    const cleared = await probe(`${ops.url}/readyz`)
    expect(cleared.report).toMatchObject({ ready: true, live: true, problems: [], consumers: [{ groupId, state: 'running', heldPartitions: [] }] })
    expect((await probe(`${ops.url}/livez`)).status).toBe(200)
    await consumer.stop()
  } finally {
    await ops.close()
    await kafka.close()
  }
  expect(registry.refused()).toBeGreaterThanOrEqual(2)
  expect(handled).toEqual(values.map((_, i) => `k${i}`))
  expect(deadLettered).toEqual([])
  expect(await endOffset(`${topic}.dlq`).catch(() => 0)).toBe(0)
})
