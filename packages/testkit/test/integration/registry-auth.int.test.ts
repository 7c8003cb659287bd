// Contract: startKafka({ backend: 'jvm', schemaRegistry: { auth } }) runs a real schema registry (Apicurio 2.6 + Keycloak) that requires HTTP basic auth: the right credentials list subjects and register schemas, none or wrong ones get 401/403; kafkit's SchemaRegistry (directly and through Kafkit.fromEnv) works with them and otherwise fails with a retriable KAFKIT_REGISTRY (context.reason 'credentials') that names the URL and status, says to check the credentials and never shows the password; a consumer whose registry credentials are refused holds its records (nothing handled or dead-lettered; kafka.health() lists the held partition with reason 'credentials': not ready, still live) until the same group reads with the right ones, which handle each record once, and a producer's send fails with that error instead of hanging; stop() leaves no process behind.
import { inspect } from 'node:util'
import { avro, SchemaRegistry } from '@kafkit/avro'
import { defineTopic, Kafkit, type KafkitError, string } from '@kafkit/core'
import { type Admin, Kafka, logLevel } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type KafkaCluster, TestkitError, startKafka, uniqueName, rejectionOf, waitFor } from '@kafkit/testkit'
import { clusterPids } from './rig-checks.js'

const AUTH = { username: 'orders-service', password: 'Regi5try-s3cret-4b1d' }
const WRONG_PASSWORD = 'not-the-Regi5try-s3cret-77aa'
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
const avroSchema = (name: string) => JSON.stringify({ type: 'record', name, fields: [{ name: 'n', type: 'int' }] })
const heldSchema = { type: 'record', name: 'Held', namespace: 'com.kafkit.it.registryauth', fields: [{ name: 'n', type: 'int' }] } as const
/** An Avro contract whose registry client signs in as AUTH.username with `password`. */
const heldContract = (topic: string, password: string) =>
  defineTopic({ name: topic, key: string(), value: avro(heldSchema, { registry: new SchemaRegistry({ url, auth: { username: AUTH.username, password } }) }) })

let cluster: KafkaCluster
let url: string
const clients: Kafkit[] = []

beforeAll(async () => {
  // The first run downloads Keycloak (~180 MB) and builds it once.
  cluster = await startKafka({ backend: 'jvm', schemaRegistry: { auth: AUTH }, log: () => undefined })
  url = cluster.schemaRegistryUrl as string
}, 900_000)

afterAll(async () => {
  await Promise.allSettled(clients.map((kafka) => kafka.close()))
  await cluster?.stop()
})

/** Plain kafkajs on this file's cluster, for what the tests check from outside kafkit. */
async function withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: uniqueName('registry-auth-admin'), brokers: cluster.brokers, logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    return await work(admin)
  } finally {
    await admin.disconnect()
  }
}

/** A one-partition topic with a unique name. */
async function createTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix)
  await withAdmin((admin) => admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true }))
  return topic
}

/** The end offset of partition 0: how many records the topic holds. */
function endOffset(topic: string): Promise<number> {
  return withAdmin(async (admin) => Number((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)?.high ?? -1))
}

describe('schema registry with basic auth (jvm backend)', () => {
  test('exposes the credentials and the Keycloak realm that checks them', () => {
    expect(cluster.schemaRegistryAuth).toEqual({ ...AUTH, issuerUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/realms\/kafkit$/) })
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7$/)
  })

  test('the right credentials list subjects and register a schema over the Confluent API', async () => {
    const authorization = basic(AUTH.username, AUTH.password)
    const list = await fetch(`${url}/subjects`, { headers: { authorization } })
    expect(list.status).toBe(200)
    expect(Array.isArray(await list.json())).toBe(true)

    const subject = uniqueName('auth-raw-value')
    const registered = await fetch(`${url}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: avroSchema('Raw') }),
    })
    expect(registered.status).toBe(200)
    const { id } = (await registered.json()) as { id: number }
    expect(id).toBeGreaterThan(0)
    const subjects = (await (await fetch(`${url}/subjects`, { headers: { authorization } })).json()) as string[]
    expect(subjects).toContain(subject)
  })

  test('no credentials, a wrong password or an unknown user get 401/403, for reads and writes', async () => {
    const attempts: [string, Record<string, string>][] = [
      ['none', {}],
      ['wrong password', { authorization: basic(AUTH.username, WRONG_PASSWORD) }],
      ['unknown user', { authorization: basic('mallory', AUTH.password) }],
    ]
    for (const [what, headers] of attempts) {
      const read = await fetch(`${url}/subjects`, { headers })
      const write = await fetch(`${url}/subjects/${uniqueName('denied-value')}/versions`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ schema: avroSchema('Denied') }),
      })
      expect({ what, read: read.status, write: write.status }).toEqual({ what, read: expect.toBeOneOf([401, 403]), write: expect.toBeOneOf([401, 403]) })
    }
  })

  test("@kafkit/avro's SchemaRegistry registers and fetches with the credentials; a wrong password is a retriable KAFKIT_REGISTRY that says to check the credentials, without the password", async () => {
    const registry = new SchemaRegistry({ url, auth: AUTH })
    const subject = uniqueName('auth-avro-value')
    const id = await registry.register(subject, avroSchema('Order'))
    expect(JSON.parse(await registry.getSchema(id))).toEqual(JSON.parse(avroSchema('Order')))
    expect(await registry.latest(subject)).toMatchObject({ id, version: 1 })

    const wrong = new SchemaRegistry({ url, auth: { username: AUTH.username, password: WRONG_PASSWORD } })
    // One call at a time: a second call started before the first is awaited would reject unobserved.
    for (const call of [() => wrong.register(uniqueName('auth-wrong-value'), avroSchema('Wrong')), () => wrong.getSchema(id)]) {
      const error = await rejectionOf<KafkitError>(call())
      expect(error.code).toBe('KAFKIT_REGISTRY')
      // Retriable: credentials are configuration, not a property of the record (a consumer holds, see below).
      expect(error.retriable).toBe(true)
      expect(error.context).toMatchObject({ reason: 'credentials', status: expect.toBeOneOf([401, 403]) })
      expect(error.message).toMatch(/HTTP 40[13]/)
      expect(error.message).toContain(url)
      expect(error.message).toContain('check the registry credentials')
      const shown = `${error.message}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`
      expect(shown).not.toContain(WRONG_PASSWORD)
      expect(shown).not.toContain(Buffer.from(`${AUTH.username}:${WRONG_PASSWORD}`).toString('base64'))
    }
  })

  test('Kafkit.fromEnv with SCHEMA_REGISTRY_URL/USERNAME/PASSWORD reaches the authenticated registry', async () => {
    const env = { KAFKA_BROKERS: cluster.bootstrapServers, SCHEMA_REGISTRY_URL: url, SCHEMA_REGISTRY_USERNAME: AUTH.username, SCHEMA_REGISTRY_PASSWORD: AUTH.password }
    const kafka = Kafkit.fromEnv({ clientId: 'kafkit-registry-auth-test' }, env)
    clients.push(kafka)
    expect(kafka.schemaRegistry).toEqual({ url, auth: AUTH })
    const subject = uniqueName('auth-env-value')
    const id = await new SchemaRegistry(kafka.schemaRegistry!).register(subject, avroSchema('FromEnv'))
    expect(await new SchemaRegistry(kafka.schemaRegistry!).latest(subject)).toMatchObject({ id, version: 1 })

    const bad = Kafkit.fromEnv({ clientId: 'kafkit-registry-auth-test' }, { ...env, SCHEMA_REGISTRY_PASSWORD: WRONG_PASSWORD })
    clients.push(bad)
    const error = await rejectionOf<KafkitError>(new SchemaRegistry(bad.schemaRegistry!).latest(subject))
    expect(error.code).toBe('KAFKIT_REGISTRY')
    expect(error.retriable).toBe(true)
    expect(error.context['reason']).toBe('credentials')
    expect(inspect(error, { depth: 10 })).not.toContain(WRONG_PASSWORD)
  })

  test('a send under refused registry credentials fails with that error, within one request, and writes nothing', async () => {
    const topic = await createTopic('auth-send')
    const kafka = new Kafkit({ clientId: 'kafkit-registry-auth-send', brokers: cluster.brokers, logLevel: 'nothing' })
    clients.push(kafka)
    const producer = kafka.producer()
    await producer.send(heldContract(topic, AUTH.password), { key: 'k', value: { n: 1 } })
    // The encode's registry call is bounded by requestTimeoutMs (10 s): the send does not wait
    // out the producer's delivery timeout (120 s).
    const startedAt = Date.now()
    const refused = await rejectionOf<KafkitError>(producer.send(heldContract(topic, WRONG_PASSWORD), { key: 'never', value: { n: -1 } }))
    expect(Date.now() - startedAt).toBeLessThan(10_000)
    expect(refused).toMatchObject({ code: 'KAFKIT_REGISTRY', retriable: true, context: { reason: 'credentials', topic } })
    expect(refused.message).toContain('check the registry credentials')
    expect(`${refused.message}\n${inspect(refused, { depth: 10 })}\n${JSON.stringify(refused)}`).not.toContain(WRONG_PASSWORD)
    expect(await endOffset(topic)).toBe(1)
  })

  test('a consumer whose registry credentials are refused holds its records: nothing handled or dead-lettered; the same group with the right credentials then handles each once', async () => {
    const topic = await createTopic('auth-held')
    const kafka = new Kafkit({ clientId: 'kafkit-registry-auth-held', brokers: cluster.brokers, logLevel: 'nothing' })
    clients.push(kafka)
    const count = 12
    await kafka.producer().send(heldContract(topic, AUTH.password), Array.from({ length: count }, (_, n) => ({ key: `k${n}`, value: { n } })))

    const groupId = uniqueName('auth-held-group')
    const options = { groupId, fromBeginning: true, shutdown: false, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, deadLetter: true, retry: { attempts: 1, backoff: { initialMs: 100, maxMs: 300 } } } as const
    const held = kafka.consumer(options)
    const retries: { code: string; message: string }[] = []
    let dispatched = 0
    let handledWrong = 0
    held.on('consumer.retry', (e) => retries.push({ code: e.errorCode, message: e.errorMessage }))
    held.on('dlq.dispatched', () => void dispatched++)
    held.handle(heldContract(topic, WRONG_PASSWORD), () => void handledWrong++)
    await held.start()
    // Well past the policy's one attempt: the partition is held, not handed to the dead-letter topic.
    await waitFor(() => retries.length >= 5 || dispatched > 0, { message: 'the decode was retried several times', timeoutMs: 60_000 })
    // The health report names the hold: the registry's own 401/403 is reason 'credentials'.
    const health = { maxPartitionHoldMs: 500 }
    const report = await waitFor(() => {
      const r = kafka.health(health)
      return r.consumers.some((c) => c.groupId === groupId && c.heldPartitions.length > 0) && r
    }, { message: 'kafka.health() lists the held partition', timeoutMs: 30_000 })
    expect(report).toMatchObject({ live: true, ready: false, consumers: [{ groupId, state: 'running', heldPartitions: [{ topic, partition: 0, offset: '0', errorCode: 'KAFKIT_REGISTRY', reason: 'credentials' }] }] })
    expect(report.problems.join('\n')).toContain('the schema registry refuses its credentials')
    expect(JSON.stringify(report)).not.toContain(WRONG_PASSWORD)
    await held.stop()
    expect({ dispatched, handledWrong }).toEqual({ dispatched: 0, handledWrong: 0 })
    for (const retry of retries) {
      expect(retry.code).toBe('KAFKIT_REGISTRY')
      expect(retry.message).toContain('check the registry credentials')
      expect(retry.message).not.toContain(WRONG_PASSWORD)
    }

    const handled: string[] = []
    const fixed = kafka.consumer(options)
    fixed.handle(heldContract(topic, AUTH.password), (m) => void handled.push(m.key))
    await fixed.start()
    await waitFor(() => handled.length >= count, { message: 'every record handled with the right credentials', timeoutMs: 60_000 })
    // A moment more, for a duplicate to show if one were coming.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    // The stopped consumer left the report; the one with the right credentials holds nothing.
    expect(kafka.health(health)).toMatchObject({ ready: true, consumers: [{ groupId, heldPartitions: [] }] })
    await fixed.stop()
    expect(handled).toEqual(Array.from({ length: count }, (_, n) => `k${n}`))
    // Nothing was parked: the dead-letter topic (made at start) is empty.
    expect(await endOffset(`${topic}.dlq`)).toBe(0)
  })

  test('options the rig cannot honour are refused up front', async () => {
    await expect(startKafka({ backend: 'containers', schemaRegistry: { auth: AUTH }, log: () => undefined })).rejects.toMatchObject({ code: 'TESTKIT_BAD_OPTIONS' })
    await expect(startKafka({ backend: 'jvm', schemaRegistry: { auth: { username: 'x', password: '' } }, log: () => undefined })).rejects.toBeInstanceOf(TestkitError)
  })

  // Last: stops the shared cluster of this file.
  test('Keycloak runs as a process of the cluster, marked like the others, and stop() leaves none behind', async () => {
    const pids = clusterPids(cluster)
    expect(pids.length).toBe(4) // ZooKeeper, broker, Keycloak, registry
    await cluster.stop()
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    })
    expect(alive).toEqual([])
  })
})
