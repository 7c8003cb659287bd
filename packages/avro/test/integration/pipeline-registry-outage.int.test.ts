// Contract: a pipeline whose input decode needs a schema registry that is down (every connection to it reset) for longer than its retry attempts treats that as an outage, not poison: the partition waits (nothing transformed, dead-lettered or committed) and decodes again until the registry answers; then every input is transformed once and has one output, and the dead-letter topic stays empty.
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net'
import { defineTopic, Kafkit, string } from '@kafkit/core'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { afterEach, expect, test } from 'vitest'
import { avro, SchemaRegistry } from '../../src/index.js'
import { cluster, consumeRaw, createTopic, endOffset } from './kafka-helpers.js'

const schema = { type: 'record', name: 'Reading', namespace: 'com.kafkit.it.outage', fields: [{ name: 'sensor', type: 'string' }, { name: 'celsius', type: 'double' }] } as const

let proxy: Server | undefined
const sockets = new Set<Socket>()
afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)))
  proxy = undefined
})

/** A TCP proxy to the real registry that, while `down`, resets every connection it is offered. */
async function outageProxy(upstream: string): Promise<{ url: string; setDown: (down: boolean) => void; resets: () => number }> {
  const base = new URL(upstream)
  let down = true
  let resets = 0
  proxy = createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    if (down) {
      resets++
      client.resetAndDestroy()
      return
    }
    const server = connect(Number(base.port), base.hostname)
    sockets.add(server)
    server.on('close', () => sockets.delete(server))
    client.pipe(server).pipe(client)
    client.on('error', () => server.destroy())
    server.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve))
  const { port } = proxy.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}${base.pathname}`, setDown: (value) => void (down = value), resets: () => resets }
}

test('a registry outage while decoding a pipeline input holds the partition: nothing dead-lettered, every input transformed once when it is back', async () => {
  const input = await createTopic('pipe-outage-in')
  const output = await createTopic('pipe-outage-out')
  const registryUrl = cluster().schemaRegistryUrl as string
  const contract = (registry: SchemaRegistry) => defineTopic({ name: input, key: string(), value: avro(schema, { registry }) })
  const Output = defineTopic({ name: output, key: string(), value: string() })
  const kafka = new Kafkit({ clientId: uniqueName('pipe-outage'), brokers: cluster().brokers, logLevel: 'nothing' })
  const outage = await outageProxy(registryUrl)
  const groupId = uniqueName('g')
  const transformed: string[] = []
  const retries: string[] = []
  const deadLettered: string[] = []
  try {
    // Written with a registry that answers: the schema is registered, the records are sound.
    await kafka.producer().send(contract(new SchemaRegistry({ url: registryUrl })), ['a', 'b', 'c'].map((sensor, i) => ({ key: sensor, value: { sensor, celsius: 20 + i } })))
    const pipeline = kafka
      .pipeline({ groupId, transactionalId: uniqueName('tx'), fromBeginning: true, shutdown: false, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, retry: { attempts: 1, backoff: { initialMs: 100, maxMs: 200 } } })
      .from(contract(new SchemaRegistry({ url: outage.url, requestTimeoutMs: 1_000 })))
      .to(Output, ({ key, value }) => {
        transformed.push(value.sensor)
        return { key, value: `${value.sensor}:${value.celsius}` }
      })
    pipeline.on('consumer.retry', (e) => retries.push(e.errorCode))
    pipeline.on('dlq.dispatched', (e) => deadLettered.push(e.offset))
    try {
      await pipeline.start()
      // Far more decode tries than retry.attempts allows a failing transform, over 3 s: the partition waits.
      await waitFor(() => retries.length >= 5 || deadLettered.length > 0, { timeoutMs: 30_000, message: 'the decode tried again during the outage' })
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      expect(deadLettered).toEqual([])
      expect(transformed).toEqual([])
      expect(await endOffset(output)).toBe(0)

      outage.setDown(false)
      await waitFor(() => transformed.length >= 3, { timeoutMs: 30_000, message: 'the inputs transformed once the registry is back' })
      await waitFor(async () => (await endOffset(output)) >= 4, { timeoutMs: 30_000, message: 'the outputs committed' })
    } finally {
      outage.setDown(false)
      await pipeline.stop()
    }
  } finally {
    await kafka.close()
  }
  expect(outage.resets()).toBeGreaterThan(0)
  expect(new Set(retries)).toEqual(new Set(['KAFKIT_REGISTRY']))
  expect(transformed).toEqual(['a', 'b', 'c'])
  expect(deadLettered).toEqual([])
  expect(await endOffset(`${input}.dlq`).catch(() => 0)).toBe(0)
  expect((await consumeRaw(output, 3)).map((r) => r.value?.toString('utf8'))).toEqual(['a:20', 'b:21', 'c:22'])
})
