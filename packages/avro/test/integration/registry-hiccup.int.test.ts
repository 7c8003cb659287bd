// Contract: a schema registry answer that breaks off mid-body, or a registry outage (503) that outlasts the consumer's retry.attempts, is a retriable registry failure, not a bad record: the consumer holds the partition, decodes again until the registry answers, and hands the record to its handler once; nothing is dead-lettered.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { defineTopic, Kafkit, string } from '@kafkit/core'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { avro, SchemaRegistry } from '../../src/index.js'
import { cluster, createTopic, endOffset, produceRaw, registryFront } from './kafka-helpers.js'

const schema = { type: 'record', name: 'Reading', namespace: 'com.kafkit.it', fields: [{ name: 'sensor', type: 'string' }, { name: 'celsius', type: 'double' }] } as const

let proxy: Server | undefined
afterEach(async () => {
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)))
  proxy = undefined
})

/**
 * An HTTP proxy to the real registry that, for the first `/schemas/ids/` request, sends the
 * answer's headers and half its body, then resets the connection.
 */
async function flakyProxy(upstream: string): Promise<{ url: string; broken: () => number }> {
  const base = new URL(upstream)
  let broken = 0
  proxy = createServer(async (req, res) => {
    let answer: Response
    let body: Buffer
    try {
      answer = await fetch(`${base.origin}${req.url}`, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } })
      body = Buffer.from(await answer.arrayBuffer())
    } catch {
      res.writeHead(502).end()
      return
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json', 'content-length': String(body.length) })
    if (req.url?.includes('/schemas/ids/') && broken === 0) {
      broken++
      res.write(body.subarray(0, Math.floor(body.length / 2)))
      setTimeout(() => res.socket?.destroy(), 20)
      return
    }
    res.end(body)
  })
  await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve))
  const { port } = proxy.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}${base.pathname}`, broken: () => broken }
}

test('a registry answer cut off mid-body delays the record; it is decoded again and handled, not dead-lettered', async () => {
  const topic = await createTopic('avro-hiccup')
  const writer = avro(schema, { registry: new SchemaRegistry({ url: cluster().schemaRegistryUrl }) })
  const bytes = await writer.encode({ sensor: 's1', celsius: 21.5 }, { topic, field: 'value' })
  await produceRaw(topic, [{ key: Buffer.from('k'), value: bytes }])

  const flaky = await flakyProxy(cluster().schemaRegistryUrl)
  const Readings = defineTopic({ name: topic, key: string(), value: avro(schema, { registry: new SchemaRegistry({ url: flaky.url }) }) })
  const kafka = new Kafkit({ clientId: uniqueName('avro-hiccup'), brokers: cluster().brokers, logLevel: 'nothing' })
  const handled: number[] = []
  const retries: string[] = []
  const deadLettered: string[] = []
  const consumer = kafka.consumer({ groupId: uniqueName('avro-hiccup'), fromBeginning: true, shutdown: false })
  consumer.on('consumer.retry', (e) => retries.push(e.errorCode))
  consumer.on('dlq.dispatched', (e) => deadLettered.push(e.offset))
  consumer.handle(Readings, async (m) => void handled.push(m.value.celsius), { retry: { attempts: 3, backoff: { initialMs: 50, maxMs: 100 } }, deadLetter: true })
  try {
    await consumer.start()
    await waitFor(() => handled.length === 1, { timeoutMs: 60_000, message: 'the record handled after the registry hiccup' })
  } finally {
    await kafka.close()
  }
  expect(flaky.broken()).toBe(1)
  expect(handled).toEqual([21.5])
  expect(retries).toContain('KAFKIT_REGISTRY')
  expect(deadLettered).toEqual([])
  expect(await endOffset(`${topic}.dlq`).catch(() => 0)).toBe(0)
})

/** An HTTP proxy to the real registry that answers 503 to every `/schemas/ids/` request while `down`. */
async function outageProxy(upstream: string): Promise<{ url: string; refused: () => number; restore: () => void }> {
  let down = true
  let refused = 0
  const made = await registryFront(upstream, (req, res) => {
    if (!down || !req.url?.includes('/schemas/ids/')) return false
    refused++
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"error_code":50301,"message":"registry unavailable"}')
    return true
  })
  proxy = made.server
  return { url: made.url, refused: () => refused, restore: () => void (down = false) }
}

test('a registry outage longer than retry.attempts holds the partition: nothing is handled or dead-lettered until the registry answers, then each record is handled once', async () => {
  const topic = await createTopic('avro-outage')
  const writer = avro(schema, { registry: new SchemaRegistry({ url: cluster().schemaRegistryUrl }) })
  const values = [1.5, 2.5, 3.5]
  await produceRaw(topic, await Promise.all(values.map(async (celsius, i) => ({ key: Buffer.from(`k${i}`), value: await writer.encode({ sensor: 's1', celsius }, { topic, field: 'value' }) }))))

  const outage = await outageProxy(cluster().schemaRegistryUrl)
  const Readings = defineTopic({ name: topic, key: string(), value: avro(schema, { registry: new SchemaRegistry({ url: outage.url }) }) })
  const kafka = new Kafkit({ clientId: uniqueName('avro-outage'), brokers: cluster().brokers, logLevel: 'nothing' })
  const handled: number[] = []
  const retries: string[] = []
  const deadLettered: string[] = []
  const consumer = kafka.consumer({ groupId: uniqueName('avro-outage'), fromBeginning: true, shutdown: false })
  consumer.on('consumer.retry', (e) => retries.push(e.errorCode))
  consumer.on('dlq.dispatched', (e) => deadLettered.push(e.offset))
  const attempts = 2
  consumer.handle(Readings, async (m) => void handled.push(m.value.celsius), { retry: { attempts, backoff: { initialMs: 50, maxMs: 200 } }, deadLetter: true })
  try {
    await consumer.start()
    // Three times the attempts the handler policy allows, and still held.
    await waitFor(() => retries.length >= 3 * attempts, { timeoutMs: 60_000, message: 'decode retries through the outage' })
    expect(handled).toEqual([])
    expect(deadLettered).toEqual([])
    outage.restore()
    await waitFor(() => handled.length === values.length, { timeoutMs: 60_000, message: 'every record handled once the registry answers' })
  } finally {
    await kafka.close()
  }
  expect(outage.refused()).toBeGreaterThanOrEqual(3 * attempts)
  expect(new Set(retries)).toEqual(new Set(['KAFKIT_REGISTRY']))
  expect(handled).toEqual(values)
  expect(deadLettered).toEqual([])
  expect(await endOffset(`${topic}.dlq`).catch(() => 0)).toBe(0)
})
