import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { Kafkit } from '@kafkit/core'
import { type CliIo, runCli } from '../../src/index.js'
import { kafkaConfig, registryConnection } from '../../src/internal/connection.js'

// Builds configs only: nothing here connects to a broker or a registry.

const sasl = { KAFKA_BROKERS: 'kafka-1:9093,kafka-2:9093', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'ops', KAFKA_SASL_PASSWORD: 'p4ss', KAFKA_REQUEST_TIMEOUT_MS: '5000' }

describe('kafkaConfig (dlq commands)', () => {
  test('TLS, SASL and timeouts from the environment reach the client config', async () => {
    const config = kafkaConfig(undefined, sasl)
    expect(config).toMatchObject({
      clientId: 'kafkit-cli',
      logLevel: 'nothing',
      brokers: ['kafka-1:9093', 'kafka-2:9093'],
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'ops', password: 'p4ss' },
      requestTimeoutMs: 5000,
    })
    // A valid client config (building the client does not connect).
    await new Kafkit(config).close()
  })

  test('--brokers replaces KAFKA_BROKERS (even an invalid one); SASL still applies', () => {
    const config = kafkaConfig('flag-1:9093, flag-2:9093', { ...sasl, KAFKA_BROKERS: 'not a broker' })
    expect(config.brokers).toEqual(['flag-1:9093', 'flag-2:9093'])
    expect(config.sasl).toMatchObject({ username: 'ops' })
  })

  test('no broker anywhere is a usage error; an invalid variable is KAFKIT_CONFIG naming it, not its value', () => {
    expect(() => kafkaConfig(undefined, {})).toThrow(/--brokers/)
    expect(() => kafkaConfig(undefined, { KAFKA_BROKERS: 'k:9092', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'ops' })).toThrow(
      expect.objectContaining({ code: 'KAFKIT_CONFIG', message: expect.stringContaining('KAFKA_SASL_PASSWORD') }),
    )
  })

  test('kafkit dlq reads the environment: an incomplete SASL setup exits 2 naming the variable, before connecting', async () => {
    const stderr: string[] = []
    const io: CliIo = { out: () => {}, err: (l) => stderr.push(l), env: { KAFKA_BROKERS: '127.0.0.1:9', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'ops' }, cwd: join(import.meta.dirname) }
    expect(await runCli(['dlq', 'list', 'orders.dlq'], io)).toBe(2)
    expect(stderr).toEqual([expect.stringMatching(/^kafkit: Invalid environment: KAFKA_SASL_PASSWORD: is required/)])
  })
})

describe('registryConnection (schema check)', () => {
  const env = { SCHEMA_REGISTRY_URL: 'https://registry.example.com/prefix', SCHEMA_REGISTRY_USERNAME: 'key', SCHEMA_REGISTRY_PASSWORD: 's3cret', SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS: '2500' }

  test('credentials and timeout from the environment reach the connection', () => {
    expect(registryConnection(undefined, env)).toEqual({ url: 'https://registry.example.com/prefix', auth: { username: 'key', password: 's3cret' }, requestTimeoutMs: 2500 })
    expect(registryConnection(undefined, {})).toBeUndefined()
  })

  test('--registry replaces the URL; the credentials go with it only to the same registry', () => {
    expect(registryConnection('https://registry.example.com/other', env)).toEqual({ url: 'https://registry.example.com/other', auth: { username: 'key', password: 's3cret' }, requestTimeoutMs: 2500 })
    expect(registryConnection('https://elsewhere.example.com', env)).toEqual({ url: 'https://elsewhere.example.com', requestTimeoutMs: 2500 })
    expect(registryConnection('https://own:creds@registry.example.com', env)).toEqual({ url: 'https://own:creds@registry.example.com', requestTimeoutMs: 2500 })
    expect(registryConnection('http://localhost:8081', {})).toEqual({ url: 'http://localhost:8081' })
  })

  test('an incomplete registry environment is KAFKIT_CONFIG; Kafka variables do not matter to it', () => {
    expect(() => registryConnection(undefined, { SCHEMA_REGISTRY_URL: 'https://r.example.com', SCHEMA_REGISTRY_USERNAME: 'key' })).toThrow(
      expect.objectContaining({ code: 'KAFKIT_CONFIG', message: expect.stringContaining('SCHEMA_REGISTRY_PASSWORD') }),
    )
    expect(registryConnection(undefined, { ...env, KAFKA_SSL: 'maybe' })?.url).toBe('https://registry.example.com/prefix')
  })
})
