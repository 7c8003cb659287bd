// Contract: a schema registry URL that does not point at the registry's API (a wrong base path, a web page) is a retriable KAFKIT_REGISTRY error, never "unknown schema id" (poison) or "subject not found": a consumer reading with it holds the partition and reports consumer.retry, dead-letters nothing and commits nothing, and the same group with the right URL then handles every record; the registry's own 404s (an unknown id, an unknown subject) keep their meaning.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defineTopic, Kafkit, type KafkitError, string } from '@kafkit/core'
import { uniqueName, waitFor, rejectionOf } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { avro, SchemaRegistry } from '../../src/index.js'
import { cluster, createTopic, endOffset } from './kafka-helpers.js'

const schema = { type: 'record', name: 'Reading', namespace: 'com.kafkit.it.wrongurl', fields: [{ name: 'sensor', type: 'string' }, { name: 'celsius', type: 'double' }] } as const

/** A web server where a registry should be: every path answers 200 with an HTML page. */
let webPage: Server
beforeAll(async () => {
  webPage = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end('<!doctype html><title>Welcome</title><h1>It works</h1>')
  })
  await new Promise<void>((resolve) => webPage.listen(0, '127.0.0.1', resolve))
})
afterAll(async () => {
  await new Promise((resolve) => webPage.close(resolve))
})

const registryUrl = () => {
  const url = cluster().schemaRegistryUrl
  if (url === undefined) throw new Error('the integration cluster runs without a schema registry')
  return url
}

describe('a registry URL that does not point at the registry', () => {
  test("the registry's own 404s keep their meaning; a wrong base path or a web page is a retriable KAFKIT_REGISTRY naming the URL", async () => {
    const right = new SchemaRegistry({ url: registryUrl() })
    const id = await right.register(uniqueName('wrong-url-value'), JSON.stringify(schema))
    expect(await rejectionOf<KafkitError>(right.getSchema(987_654_321))).toMatchObject({ code: 'KAFKIT_SERDE_UNKNOWN_SCHEMA', retriable: false })
    expect(await right.latest(uniqueName('no-such-subject'))).toBeUndefined()

    const webUrl = `http://127.0.0.1:${(webPage.address() as AddressInfo).port}/apis/ccompat/v7`
    for (const url of [`${registryUrl()}/nope`, registryUrl().replace(/\/apis\/ccompat\/v7$/, ''), webUrl]) {
      const wrong = new SchemaRegistry({ url })
      // checkCompatibility used to answer "compatible, no such subject" here, which let a CI gate (`kafkit schema check`) pass.
      const calls = [
        () => wrong.getSchema(id),
        () => wrong.latest('anything-value'),
        () => wrong.lookup('anything-value', JSON.stringify(schema)),
        () => wrong.checkCompatibility('anything-value', JSON.stringify(schema)),
        () => wrong.getCompatibility('anything-value'),
      ]
      for (const call of calls) {
        const error = await rejectionOf<KafkitError>(call())
        expect(error, url).toMatchObject({ code: 'KAFKIT_REGISTRY', retriable: true })
        expect(error.message, url).toMatch(/not the registry's API: check SCHEMA_REGISTRY_URL/)
      }
    }
  })

  test('a consumer with a wrong base path holds the partition: no dead letter, no commit; the right URL then handles every record', async () => {
    const topic = await createTopic('wrong-url')
    const kafka = new Kafkit({ clientId: 'avro-wrong-url-test', brokers: cluster().brokers, logLevel: 'nothing' })
    const contract = (url: string) => defineTopic({ name: topic, key: string(), value: avro(schema, { registry: new SchemaRegistry({ url }) }) })
    try {
      const producer = kafka.producer()
      await producer.send(contract(registryUrl()), Array.from({ length: 20 }, (_, i) => ({ key: `s${i}`, value: { sensor: `s${i}`, celsius: i / 2 } })))

      const groupId = uniqueName('g')
      const options = { groupId, fromBeginning: true, shutdown: false, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, deadLetter: true, retry: { attempts: 1, backoff: { initialMs: 100, maxMs: 200 } } } as const
      const held = kafka.consumer(options)
      const retries: string[] = []
      let dispatched = 0
      let handledWrong = 0
      held.on('consumer.retry', (e) => retries.push(e.errorCode))
      held.on('dlq.dispatched', () => void dispatched++)
      held.handle(contract(`${registryUrl()}/nope`), () => void handledWrong++)
      await held.start()
      // Several retries after the first: the partition is held, well past the policy's one attempt.
      await waitFor(() => retries.length >= 4, { message: 'the decode was retried several times', timeoutMs: 60_000 })
      await held.stop()
      expect(new Set(retries)).toEqual(new Set(['KAFKIT_REGISTRY']))
      expect({ dispatched, handledWrong }).toEqual({ dispatched: 0, handledWrong: 0 })

      const handled: string[] = []
      const fixed = kafka.consumer(options)
      fixed.handle(contract(registryUrl()), (m) => void handled.push(m.value.sensor))
      await fixed.start()
      await waitFor(() => handled.length >= 20, { message: 'every record handled with the right URL', timeoutMs: 60_000 })
      await fixed.stop()
      expect(handled).toEqual(Array.from({ length: 20 }, (_, i) => `s${i}`))
      // Nothing was parked: the dead-letter topic (made at start) is empty.
      expect(await endOffset(`${topic}.dlq`)).toBe(0)
    } finally {
      await kafka.close()
    }
  })
})
