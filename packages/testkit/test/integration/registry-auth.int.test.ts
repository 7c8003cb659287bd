// Contract: startKafka({ backend: 'jvm', schemaRegistry: { auth } }) runs a real schema registry (Apicurio 2.6 + Keycloak) that requires HTTP basic auth: the right credentials list subjects and register schemas, none or wrong ones get 401/403; kafkit's SchemaRegistry (directly and through Kafkit.fromEnv) works with them and fails with a non-retriable KAFKIT_REGISTRY without the password otherwise; stop() leaves no process behind.
import { inspect } from 'node:util'
import { SchemaRegistry } from '@kafkit/avro'
import { Kafkit, type KafkitError } from '@kafkit/core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type KafkaCluster, TestkitError, startKafka, uniqueName, rejectionOf } from '@kafkit/testkit'
import { clusterPids } from './rig-checks.js'

const AUTH = { username: 'orders-service', password: 'Regi5try-s3cret-4b1d' }
const WRONG_PASSWORD = 'not-the-Regi5try-s3cret-77aa'
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
const avroSchema = (name: string) => JSON.stringify({ type: 'record', name, fields: [{ name: 'n', type: 'int' }] })

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

  test("@kafkit/avro's SchemaRegistry registers and fetches with the credentials; a wrong password is a non-retriable KAFKIT_REGISTRY without the password", async () => {
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
      expect(error.retriable).toBe(false)
      expect(error.message).toMatch(/40[13]/)
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
    expect(error.retriable).toBe(false)
    expect(inspect(error, { depth: 10 })).not.toContain(WRONG_PASSWORD)
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
