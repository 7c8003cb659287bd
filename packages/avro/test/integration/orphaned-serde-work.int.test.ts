// Contract: when a record fails its contract synchronously (a required header missing) after an async serde call started (an Avro value needing the registry), the serde call's later failure (the registry unreachable) is handled: it never surfaces as an unhandled rejection that would end the process; the consumer parks the record and goes on, the producer rejects the send with the validation error.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defineTopic, Kafkit, string } from '@kafkit/core'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { avro, SchemaRegistry } from '../../src/index.js'
import { cluster, createTopic, produceRaw } from './kafka-helpers.js'

const schema = { type: 'record', name: 'Reading', namespace: 'com.kafkit.it', fields: [{ name: 'sensor', type: 'string' }] } as const

/** A "registry" whose every request fails at the transport: it cuts the connection at once. */
let brokenRegistry: Server
let requests = 0
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => void unhandled.push(reason)
beforeAll(async () => {
  brokenRegistry = createServer((request) => {
    requests++
    request.socket.destroy()
  })
  await new Promise<void>((resolve) => brokenRegistry.listen(0, '127.0.0.1', resolve))
  process.on('unhandledRejection', onUnhandled)
})
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled)
  await new Promise((resolve) => brokenRegistry.close(resolve))
})

const contractFor = (name: string) =>
  defineTopic({
    name,
    key: string(),
    value: avro(schema, { registry: new SchemaRegistry({ url: `http://127.0.0.1:${(brokenRegistry.address() as AddressInfo).port}` }) }),
    headers: { 'trace-id': string() },
  })

/** Lets the cut registry call fail and its rejection settle (handled or not). */
async function afterRegistryFailed(before: number): Promise<void> {
  await waitFor(() => requests > before, { message: 'the registry was asked', timeoutMs: 30_000 })
  await new Promise((resolve) => setTimeout(resolve, 300))
}

describe('async serde work orphaned by a synchronous contract failure', () => {
  test('consumer: the record without its required header is dead-lettered, and the failed registry call is handled', async () => {
    const topic = await createTopic('orphan-decode')
    const kafka = new Kafkit({ clientId: 'avro-orphan-test', brokers: cluster().brokers, logLevel: 'nothing' })
    try {
      // Framed like an Avro record of schema id 1: decoding the value needs the (broken) registry.
      const framed = Buffer.from([0, 0, 0, 0, 1, 2, 0x61])
      await produceRaw(topic, [{ key: Buffer.from('k1'), value: framed }])
      const before = requests
      const consumer = kafka.consumer({ groupId: uniqueName('g'), fromBeginning: true, shutdown: false, retry: false, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000 })
      consumer.handle(contractFor(topic), () => {})
      await consumer.start()
      let dead: Awaited<ReturnType<ReturnType<typeof kafka.deadLetters>['list']>> = []
      await waitFor(async () => (dead = await kafka.deadLetters(`${topic}.dlq`).list()).length === 1, { message: 'the record was dead-lettered', timeoutMs: 60_000, intervalMs: 500 })
      expect(dead[0]?.info.errorCode).toBe('KAFKIT_VALIDATION')
      await afterRegistryFailed(before)
      await consumer.stop()
      expect(unhandled).toEqual([])
    } finally {
      await kafka.close()
    }
  })

  test('producer: a send without its required header rejects with the validation error, and the failed registry call is handled', async () => {
    const topic = await createTopic('orphan-encode')
    const kafka = new Kafkit({ clientId: 'avro-orphan-test', brokers: cluster().brokers, logLevel: 'nothing' })
    try {
      const before = requests
      const send = kafka.producer().send(contractFor(topic), { key: 'k1', value: { sensor: 's1' } } as never)
      await expect(send).rejects.toMatchObject({ code: 'KAFKIT_VALIDATION' })
      await afterRegistryFailed(before)
      expect(unhandled).toEqual([])
    } finally {
      await kafka.close()
    }
  })
})
