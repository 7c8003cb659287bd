import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { describe, expect, test } from 'vitest'
import { ENV_VARIABLES, isKafkitError, Kafkit, readEnvConfig, type KafkitError } from '../../src/index.js'

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n'
const KEY = '-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n'

function failure(run: () => unknown): KafkitError {
  try {
    run()
  } catch (error) {
    if (isKafkitError(error)) return error
    throw error
  }
  throw new Error('expected a KafkitError')
}

/** Everything an error shows anywhere: message, issues, cause chain, inspect and JSON forms. */
function everything(error: KafkitError): string {
  return [error.message, JSON.stringify(error.issues), JSON.stringify(error.context), inspect(error, { depth: 10 }), String(error.cause ?? '')].join('\n')
}

describe('readEnvConfig', () => {
  test('reads brokers, client id, TLS (PEM text and file), SASL, timeouts, log level and the registry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafkit-env-'))
    writeFileSync(join(dir, 'ca.pem'), PEM)
    const config = readEnvConfig({
      KAFKA_BROKERS: 'k1:9093, k2:9093',
      KAFKA_CLIENT_ID: 'svc',
      KAFKA_SSL_CA: join(dir, 'ca.pem'),
      KAFKA_SSL_CERT: PEM,
      KAFKA_SSL_KEY: KEY.replaceAll('\n', '\\n'),
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'alice',
      KAFKA_SASL_PASSWORD: 'p@ss word',
      KAFKA_CONNECTION_TIMEOUT_MS: '5000',
      KAFKA_REQUEST_TIMEOUT_MS: '40000',
      KAFKA_RETRIES: '0',
      KAFKIT_LOG_LEVEL: 'WARN',
      SCHEMA_REGISTRY_URL: 'https://registry.example:8081',
      SCHEMA_REGISTRY_USERNAME: 'key',
      SCHEMA_REGISTRY_PASSWORD: 'secret',
    })
    expect(config).toEqual({
      clientId: 'svc',
      brokers: ['k1:9093', 'k2:9093'],
      ssl: { ca: PEM, cert: PEM.trim(), key: KEY },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'p@ss word' },
      connectionTimeoutMs: 5000,
      requestTimeoutMs: 40000,
      retry: { retries: 0 },
      logLevel: 'warn',
      schemaRegistry: { url: 'https://registry.example:8081', auth: { username: 'key', password: 'secret' } },
    })
  })

  test('KAFKA_SSL=true alone means TLS with the system CAs; nothing set means no TLS and no SASL', () => {
    expect(readEnvConfig({ KAFKA_SSL: 'true' }).ssl).toBe(true)
    expect(readEnvConfig({ KAFKA_SSL: 'false' }).ssl).toBeUndefined()
    expect(readEnvConfig({})).toEqual({})
  })

  test('reports every problem at once, each under its variable name', () => {
    const error = failure(() =>
      readEnvConfig(
        {
          KAFKA_BROKERS: 'no-port',
          KAFKA_SSL: 'maybe',
          KAFKA_SSL_CA: '/nonexistent/ca.pem',
          KAFKA_SSL_CERT: PEM,
          KAFKA_SASL_MECHANISM: 'gssapi',
          KAFKA_SASL_PASSWORD: 'hunter2-secret',
          KAFKA_REQUEST_TIMEOUT_MS: '-5',
          KAFKIT_LOG_LEVEL: 'loud',
          SCHEMA_REGISTRY_URL: 'ftp://x',
          SCHEMA_REGISTRY_PASSWORD: 'registry-secret',
        },
        ['KAFKA_CLIENT_ID'],
      ),
    )
    expect(error.code).toBe('KAFKIT_CONFIG')
    expect(error.retriable).toBe(false)
    const names = error.issues.map((issue) => issue.path[0])
    expect(new Set(names)).toEqual(
      new Set([
        'KAFKA_CLIENT_ID',
        'KAFKA_BROKERS',
        'KAFKA_SSL',
        'KAFKA_SSL_CA',
        'KAFKA_SSL_KEY',
        'KAFKA_SASL_MECHANISM',
        'KAFKA_SASL_USERNAME',
        'KAFKA_REQUEST_TIMEOUT_MS',
        'KAFKIT_LOG_LEVEL',
        'SCHEMA_REGISTRY_URL',
        'SCHEMA_REGISTRY_USERNAME',
      ]),
    )
    for (const name of names) expect(error.message).toContain(`${String(name)}:`)
  })

  test('never quotes a secret in an error, however it is malformed', () => {
    const error = failure(() =>
      readEnvConfig({
        KAFKA_SASL_PASSWORD: 'hunter2-secret',
        KAFKA_SASL_USERNAME: 'bob',
        KAFKA_SSL_KEY: 'not-a-pem-but-a-secret-key',
        KAFKA_SSL_KEY_PASSWORD: 'key-passphrase-secret',
        SCHEMA_REGISTRY_URL: 'https://user:url-secret@',
        SCHEMA_REGISTRY_PASSWORD: 'registry-secret',
      }),
    )
    expect(error.issues.length).toBeGreaterThanOrEqual(4)
    const shown = everything(error)
    for (const secret of ['hunter2-secret', 'not-a-pem-but-a-secret-key', 'key-passphrase-secret', 'url-secret', 'registry-secret']) expect(shown).not.toContain(secret)
  })

  test('documents every variable it reads', () => {
    expect(Object.keys(ENV_VARIABLES)).toHaveLength(21)
    for (const description of Object.values(ENV_VARIABLES)) expect(description.length).toBeGreaterThan(10)
  })
})

describe('Kafkit.fromEnv', () => {
  const env = { KAFKA_BROKERS: 'localhost:9092', KAFKA_CLIENT_ID: 'from-env', SCHEMA_REGISTRY_URL: 'http://registry:8081', KAFKA_RETRIES: '2' }

  test('builds a client; code overrides win over the environment', () => {
    const kafka = Kafkit.fromEnv({ clientId: 'from-code', retry: { maxRetryTimeMs: 1_000 } }, env)
    expect(kafka.clientId).toBe('from-code')
    expect(kafka.schemaRegistry).toEqual({ url: 'http://registry:8081' })
  })

  test('needs KAFKA_BROKERS and KAFKA_CLIENT_ID unless the code gives them', () => {
    const error = failure(() => Kafkit.fromEnv({}, {}))
    expect(error.issues.map((issue) => issue.path[0]).sort()).toEqual(['KAFKA_BROKERS', 'KAFKA_CLIENT_ID'])
    expect(() => Kafkit.fromEnv({ clientId: 'svc', brokers: ['b:9092'] }, {})).not.toThrow()
  })

  test('a config error from code does not show the SASL password either', () => {
    const error = failure(() => new Kafkit({ clientId: 'svc', brokers: ['b:9092'], sasl: { mechanism: 'scram-sha-999' as never, username: '', password: 'code-secret-pw' } }))
    expect(error.code).toBe('KAFKIT_CONFIG')
    expect(everything(error)).not.toContain('code-secret-pw')
  })
})
