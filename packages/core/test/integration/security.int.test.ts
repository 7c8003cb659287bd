// Contract: configured from the environment, kafkit produces and consumes over TLS + SASL/SCRAM-SHA-512 (and SCRAM-SHA-256, PLAIN) on a real SASL_SSL listener; a wrong password fails with a non-retriable KAFKIT_AUTH after one connection attempt, and no secret reaches a log line or an error; a client without TLS on the TLS port, or without the CA, fails with an error that says why; registry credentials go out as HTTP basic auth.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { inspect } from 'node:util'
import { SchemaRegistry } from '@kafkit/avro'
import { type KafkaCluster, startKafka, uniqueName, waitFor, rejectionOf } from '@kafkit/testkit'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, Kafkit, type KafkitError, string } from '../../src/index.js'

const ALICE = { username: 'alice', password: 'alice-Pa55-w0rd-9f3c' }
const WRONG_PASSWORD = 'not-alices-Pa55-w0rd-77aa'

/** Every line kafkit and kafkajs log in this file, at debug, as parsed JSON. */
const lines: Record<string, unknown>[] = []
const rawText: string[] = []
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (line.trim() === '') continue
        rawText.push(line)
        lines.push(JSON.parse(line))
      }
      done()
    },
  }),
)

let cluster: KafkaCluster
let caFile: string
let secureBrokers: string[]
const clients: Kafkit[] = []

function envFor(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: secureBrokers.join(','),
    KAFKA_CLIENT_ID: 'kafkit-security-test',
    KAFKA_SSL_CA: caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: ALICE.username,
    KAFKA_SASL_PASSWORD: ALICE.password,
    ...overrides,
  }
}

function client(overrides: Record<string, string> = {}, code: Parameters<typeof Kafkit.fromEnv>[0] = {}): Kafkit {
  const kafka = Kafkit.fromEnv({ logger, logLevel: 'debug', ...code }, envFor(overrides))
  clients.push(kafka)
  return kafka
}

const Event = (name: string) => defineTopic({ name, key: string(), value: json(z.object({ n: z.number() })), partitions: 2, replicationFactor: 1 })

beforeAll(async () => {
  cluster = await startKafka({ backend: 'jvm', saslSsl: { users: [ALICE] }, log: () => {} })
  secureBrokers = [...cluster.saslSsl!.brokers]
  const dir = mkdtempSync(join(tmpdir(), 'kafkit-security-'))
  caFile = join(dir, 'ca.pem')
  writeFileSync(caFile, cluster.saslSsl!.caPem)
})

afterAll(async () => {
  await Promise.allSettled(clients.map((kafka) => kafka.close()))
  await cluster?.stop()
})

describe('TLS + SASL', () => {
  test('SCRAM-SHA-512 over TLS: ensure topics, produce and consume through kafkit, configured from the environment', async () => {
    const kafka = client()
    const Topic = Event(uniqueName('secure'))
    await kafka.admin().ensureTopics([Topic])
    await kafka.producer().send(Topic, [1, 2, 3].map((n) => ({ key: `k${n}`, value: { n } })))
    const seen: number[] = []
    const consumer = kafka.consumer({ groupId: uniqueName('secure-group'), fromBeginning: true, shutdown: false })
    consumer.handle(Topic, async ({ value }) => {
      seen.push(value.n)
    })
    await consumer.start()
    await waitFor(() => seen.length === 3, { timeoutMs: 60_000, message: 'three messages over SASL_SSL' })
    expect(seen.sort()).toEqual([1, 2, 3])
    await consumer.stop()
  })

  test.each(['scram-sha-256', 'plain'])('%s over TLS connects and produces', async (mechanism) => {
    const kafka = client({ KAFKA_SASL_MECHANISM: mechanism })
    const Topic = Event(uniqueName(`secure-${mechanism}`))
    await kafka.admin().ensureTopics([Topic])
    const written = await kafka.producer().send(Topic, { key: 'k', value: { n: 1 } })
    expect(written).toHaveLength(1)
  })

  test('a wrong password fails at once: KAFKIT_AUTH, not retriable, one connection attempt', async () => {
    const from = lines.length
    const kafka = client({ KAFKA_SASL_PASSWORD: WRONG_PASSWORD })
    const error = await rejectionOf<KafkitError>(kafka.producer().connect())
    expect(error.code).toBe('KAFKIT_AUTH')
    expect(error.retriable).toBe(false)
    expect(error.message).toMatch(/SASL authentication failed: .*invalid credentials/)
    // kafkajs logs "Connecting" (debug) once per TCP connection it opens: no retry storm.
    const attempts = lines.slice(from).filter((line) => line.namespace === 'Connection' && line.msg === 'Connecting')
    expect(attempts).toHaveLength(1)

    // A consumer does not restart over rejected credentials either: start() fails the same way.
    const consumer = kafka.consumer({ groupId: uniqueName('wrong-pw'), shutdown: false })
    consumer.handle(Event(uniqueName('never')), async () => {})
    const consumerError = await rejectionOf<KafkitError>(consumer.start())
    expect(consumerError.code).toBe('KAFKIT_AUTH')
    for (const shown of [error, consumerError]) expect(inspect(shown, { depth: 10 })).not.toContain(WRONG_PASSWORD)
  })

  test('a plaintext client on the TLS port fails with an error that points at TLS', async () => {
    const kafka = new Kafkit({ clientId: 'kafkit-plaintext', brokers: secureBrokers, logger, logLevel: 'debug', retry: { retries: 1, initialRetryTimeMs: 100 } })
    clients.push(kafka)
    const error = await rejectionOf<KafkitError>(kafka.producer().connect())
    expect(error.code).toBe('KAFKIT_KAFKA')
    expect(error.message).toMatch(/closed the connection before answering.*TLS/)
  })

  test("a TLS client that does not trust the broker's CA fails with KAFKIT_AUTH naming the certificate problem", async () => {
    const kafka = new Kafkit({ clientId: 'kafkit-no-ca', brokers: secureBrokers, ssl: true, sasl: { mechanism: 'scram-sha-512', ...ALICE }, logger, logLevel: 'debug', retry: { retries: 1, initialRetryTimeMs: 100 } })
    clients.push(kafka)
    const error = await rejectionOf<KafkitError>(kafka.producer().connect())
    expect(error.code).toBe('KAFKIT_AUTH')
    expect(error.retriable).toBe(false)
    expect(error.message).toMatch(/TLS handshake failed: .*certificate/)
  })

  test('no log line of this file holds a password, though SASL ran at debug level throughout', () => {
    expect(lines.filter((line) => line.component === 'kafkajs').length).toBeGreaterThan(50)
    expect(lines.some((line) => String(line.namespace ?? '').startsWith('SaslAuthenticator'))).toBe(true)
    for (const text of rawText) {
      expect(text).not.toContain(ALICE.password)
      expect(text).not.toContain(WRONG_PASSWORD)
    }
  })
})

// Not a schema registry test: the rig's registry (Apicurio 2.6) only does basic auth through
// a Keycloak, which this machine does not have. This checks what kafkit controls: the
// credentials from SCHEMA_REGISTRY_USERNAME/PASSWORD reach a real HTTP server as basic auth.
describe('schema registry credentials', () => {
  test('SCHEMA_REGISTRY_USERNAME/PASSWORD go out as HTTP basic auth; a 401 is a clear, retriable credentials error (a consumer holds its partition) without the password', async () => {
    const seen: (string | undefined)[] = []
    const expected = `Basic ${Buffer.from('registry-key:registry-s3cret').toString('base64')}`
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization)
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }))
        return
      }
      res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' })
      res.end(JSON.stringify({ subject: 'orders-value', id: 7, version: 1, schema: '"string"' }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const good = client({ SCHEMA_REGISTRY_URL: url, SCHEMA_REGISTRY_USERNAME: 'registry-key', SCHEMA_REGISTRY_PASSWORD: 'registry-s3cret' })
      expect(good.schemaRegistry).toEqual({ url, auth: { username: 'registry-key', password: 'registry-s3cret' } })
      await expect(new SchemaRegistry(good.schemaRegistry!).latest('orders-value')).resolves.toMatchObject({ id: 7, version: 1 })
      expect(seen).toEqual([expected])

      const bad = client({ SCHEMA_REGISTRY_URL: url, SCHEMA_REGISTRY_USERNAME: 'registry-key', SCHEMA_REGISTRY_PASSWORD: 'wrong-registry-s3cret' })
      const error = await rejectionOf<KafkitError>(new SchemaRegistry(bad.schemaRegistry!).latest('orders-value'))
      expect(error.code).toBe('KAFKIT_REGISTRY')
      expect(error.retriable).toBe(true)
      expect(error.context.reason).toBe('credentials')
      expect(error.message).toContain('401')
      expect(error.message).toContain('check the registry credentials')
      expect(inspect(error, { depth: 10 })).not.toContain('wrong-registry-s3cret')
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
