// Contract: a schema registry that accepts the connection and never answers is bounded by requestTimeoutMs: the call fails as a retriable KAFKIT_REGISTRY (no hang), and a consumer that needs the writer schema holds its partition (consumer.retry, nothing dead-lettered, nothing committed past the record) until a registry answers.
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { defineTopic, Kafkit, type KafkitError, string } from '@kafkit/core'
import { rejectionOf, uniqueName, waitFor } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { avro, SchemaRegistry } from '../../src/index.js'
import { cluster, createTopic, endOffset } from './kafka-helpers.js'

const schema = { type: 'record', name: 'Reading', namespace: 'com.kafkit.it.silent', fields: [{ name: 'sensor', type: 'string' }] } as const

/** Takes every connection and never says a word. */
let silent: Server
const sockets = new Set<Socket>()
beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
})
afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => silent.close(resolve))
})

const silentUrl = () => `http://127.0.0.1:${(silent.address() as AddressInfo).port}/apis/ccompat/v7`

describe('a registry that never answers', () => {
  test('a call fails after requestTimeoutMs as a retriable KAFKIT_REGISTRY', async () => {
    const registry = new SchemaRegistry({ url: silentUrl(), requestTimeoutMs: 1_000 })
    const error = await rejectionOf<KafkitError>(registry.getSchema(7))
    expect(error).toMatchObject({ code: 'KAFKIT_REGISTRY', retriable: true })
    expect(error.message).toMatch(/unreachable|Timeout|timed out/i)
  })

  test('a consumer holds the partition, dead-letters nothing, and handles the records once a registry answers', async () => {
    const topic = await createTopic('silent-registry')
    const kafka = new Kafkit({ clientId: 'avro-silent-registry-test', brokers: cluster().brokers, logLevel: 'nothing' })
    const registryUrl = cluster().schemaRegistryUrl as string
    const contract = (registry: SchemaRegistry) => defineTopic({ name: topic, key: string(), value: avro(schema, { registry }) })
    try {
      await kafka.producer().send(contract(new SchemaRegistry({ url: registryUrl })), [{ key: 'a', value: { sensor: 'a' } }, { key: 'b', value: { sensor: 'b' } }])
      const groupId = uniqueName('g')
      const options = { groupId, fromBeginning: true, shutdown: false, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, deadLetter: true, retry: { attempts: 1, backoff: { initialMs: 100, maxMs: 200 } } } as const
      const held = kafka.consumer(options)
      const retries: string[] = []
      let dispatched = 0
      let handled = 0
      held.on('consumer.retry', (e) => retries.push(e.errorCode))
      held.on('dlq.dispatched', () => void dispatched++)
      held.handle(contract(new SchemaRegistry({ url: silentUrl(), requestTimeoutMs: 500 })), () => void handled++)
      await held.start()
      await waitFor(() => retries.length >= 3, { message: 'the decode retried after each timed-out registry call', timeoutMs: 60_000 })
      await held.stop()
      expect(new Set(retries)).toEqual(new Set(['KAFKIT_REGISTRY']))
      expect({ dispatched, handled }).toEqual({ dispatched: 0, handled: 0 })
      expect(await endOffset(`${topic}.dlq`)).toBe(0)

      const seen: string[] = []
      const fixed = kafka.consumer(options)
      fixed.handle(contract(new SchemaRegistry({ url: registryUrl })), (m) => void seen.push(m.value.sensor))
      await fixed.start()
      await waitFor(() => seen.length >= 2, { message: 'both records handled once a registry answers', timeoutMs: 60_000 })
      await fixed.stop()
      expect(seen).toEqual(['a', 'b'])
    } finally {
      await kafka.close()
    }
  })
})
