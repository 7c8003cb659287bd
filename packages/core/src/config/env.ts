import { existsSync, readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import { z } from 'zod'
import { KafkitError, type KafkitIssue } from '../errors.js'
import type { KafkitLogLevel } from '../logging/logger.js'

/** How to reach a Confluent-compatible schema registry; `@kafkit/avro`'s `SchemaRegistry` takes it as is. */
export interface SchemaRegistryConnection {
  /** Base URL of the registry API. */
  url: string
  /** HTTP basic auth. */
  auth?: { username: string; password: string }
  /** Abort one HTTP request after this long. */
  requestTimeoutMs?: number
}

/** What the environment configures: {@link KafkitConfig} fields, all optional. */
export interface EnvConfig {
  clientId?: string
  brokers?: string[]
  ssl?: boolean | ConnectionOptions
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  connectionTimeoutMs?: number
  requestTimeoutMs?: number
  retry?: { retries?: number; initialRetryTimeMs?: number; maxRetryTimeMs?: number }
  logLevel?: KafkitLogLevel
  schemaRegistry?: SchemaRegistryConnection
}

/**
 * Every variable {@link readEnvConfig} reads, with what it means. The docs' configuration
 * reference is this list.
 */
export const ENV_VARIABLES = {
  KAFKA_BROKERS: 'Bootstrap brokers, comma-separated host:port (required unless given in code)',
  KAFKA_CLIENT_ID: 'Client id announced to the brokers (required unless given in code)',
  KAFKA_SSL: 'true/false: connect with TLS. Implied true when KAFKA_SSL_CA, _CERT or _KEY is set',
  KAFKA_SSL_CA: 'CA certificate(s) to trust: PEM text or a file path. Default: the system CAs',
  KAFKA_SSL_CERT: 'Client certificate for mutual TLS: PEM text or a file path (needs KAFKA_SSL_KEY)',
  KAFKA_SSL_KEY: 'Client private key for mutual TLS: PEM text or a file path (secret)',
  KAFKA_SSL_KEY_PASSWORD: 'Passphrase of KAFKA_SSL_KEY (secret)',
  KAFKA_SSL_REJECT_UNAUTHORIZED: 'true/false: verify the broker certificate. Default true; false only for local tests',
  KAFKA_SASL_MECHANISM: 'plain, scram-sha-256 or scram-sha-512 (case-insensitive)',
  KAFKA_SASL_USERNAME: 'SASL user (needs KAFKA_SASL_MECHANISM)',
  KAFKA_SASL_PASSWORD: 'SASL password (secret)',
  KAFKA_CONNECTION_TIMEOUT_MS: 'Time to open a TCP/TLS connection to a broker. Default 3000',
  KAFKA_REQUEST_TIMEOUT_MS: "Time to wait for a broker's answer. Default 30000",
  KAFKA_RETRIES: 'Retries of a retriable engine error. Default 5',
  KAFKA_RETRY_INITIAL_TIME_MS: 'First retry backoff (doubles, with jitter). Default 300',
  KAFKA_RETRY_MAX_TIME_MS: 'Cap of one retry backoff. Default 30000',
  KAFKIT_LOG_LEVEL: 'silent, error, warn, info, debug or trace. Default info',
  SCHEMA_REGISTRY_URL: 'Base URL of the schema registry API',
  SCHEMA_REGISTRY_USERNAME: 'Registry basic-auth user (Confluent Cloud: the API key)',
  SCHEMA_REGISTRY_PASSWORD: 'Registry basic-auth password (Confluent Cloud: the API secret) (secret)',
  SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS: 'Abort one registry HTTP request after this long. Default 10000',
} as const

/** A variable {@link readEnvConfig} reads. */
export type EnvVariable = keyof typeof ENV_VARIABLES

type Env = Readonly<Record<string, string | undefined>>

const broker = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')
const brokerList = z
  .string()
  .transform((list) => list.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
  .pipe(z.array(broker).min(1, 'needs at least one host:port'))
const bool = z
  .string()
  .transform((text) => text.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
  .transform((text) => text === 'true' || text === '1' || text === 'yes')
const positiveMs = z.string().regex(/^\s*\d+\s*$/, 'must be a whole number of milliseconds').transform(Number).pipe(z.number().int().positive('must be > 0'))
const count = z.string().regex(/^\s*\d+\s*$/, 'must be a whole number ≥ 0').transform(Number)
const mechanism = z
  .string()
  .transform((text) => text.trim().toLowerCase())
  .pipe(z.enum(['plain', 'scram-sha-256', 'scram-sha-512'], { error: 'must be plain, scram-sha-256 or scram-sha-512' }))
const logLevel = z
  .string()
  .transform((text) => text.trim().toLowerCase())
  .pipe(z.enum(['silent', 'error', 'warn', 'info', 'debug', 'trace'], { error: 'must be silent, error, warn, info, debug or trace' }))
const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })

/**
 * Reads kafkit's settings from environment variables ({@link ENV_VARIABLES}). Unset
 * variables are left out, so code-given options can fill them. PEM variables take the PEM
 * text itself or a path to a file holding it.
 *
 * @param env @default process.env
 * @param required variables that must be set (`fromEnv` needs KAFKA_BROKERS and
 *   KAFKA_CLIENT_ID unless the code gives them)
 * @throws KafkitError `KAFKIT_CONFIG` listing every problem at once, each under its
 *   variable's name; never quoting a value (secrets stay out of errors and logs)
 */
export function readEnvConfig(env: Env = process.env, required: readonly EnvVariable[] = []): EnvConfig {
  const issues: KafkitIssue[] = []
  const problem = (name: EnvVariable, message: string) => issues.push({ path: [name], message })
  const raw = (name: EnvVariable): string | undefined => {
    const value = env[name]
    return value === undefined || value.trim() === '' ? undefined : value
  }
  const read = <T>(name: EnvVariable, schema: z.ZodType<T, string>): T | undefined => {
    const value = raw(name)
    if (value === undefined) return undefined
    const result = schema.safeParse(value)
    if (result.success) return result.data
    // One line per variable; zod's messages here are ours and never echo the value.
    problem(name, result.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; '))
    return undefined
  }
  const pem = (name: EnvVariable): string | undefined => {
    const value = raw(name)
    if (value === undefined) return undefined
    return readPem(value, (message) => problem(name, message))
  }

  for (const name of required) if (raw(name) === undefined) problem(name, 'is required')

  const config: EnvConfig = {}
  const clientId = raw('KAFKA_CLIENT_ID')
  if (clientId !== undefined) config.clientId = clientId.trim()
  const brokers = read('KAFKA_BROKERS', brokerList)
  if (brokers !== undefined) config.brokers = brokers

  // TLS
  const sslFlag = read('KAFKA_SSL', bool)
  const ca = pem('KAFKA_SSL_CA')
  const cert = pem('KAFKA_SSL_CERT')
  const key = pem('KAFKA_SSL_KEY')
  const passphrase = raw('KAFKA_SSL_KEY_PASSWORD')
  const rejectUnauthorized = read('KAFKA_SSL_REJECT_UNAUTHORIZED', bool)
  const tlsDetails = ca !== undefined || cert !== undefined || key !== undefined || raw('KAFKA_SSL_CA') !== undefined || raw('KAFKA_SSL_CERT') !== undefined || raw('KAFKA_SSL_KEY') !== undefined
  if (sslFlag === false && tlsDetails) problem('KAFKA_SSL', 'is false, but KAFKA_SSL_CA/CERT/KEY are set; remove them or set KAFKA_SSL=true')
  if (raw('KAFKA_SSL_CERT') !== undefined && raw('KAFKA_SSL_KEY') === undefined) problem('KAFKA_SSL_KEY', 'is required with KAFKA_SSL_CERT (mutual TLS needs both)')
  if (raw('KAFKA_SSL_KEY') !== undefined && raw('KAFKA_SSL_CERT') === undefined) problem('KAFKA_SSL_CERT', 'is required with KAFKA_SSL_KEY (mutual TLS needs both)')
  if (passphrase !== undefined && raw('KAFKA_SSL_KEY') === undefined) problem('KAFKA_SSL_KEY_PASSWORD', 'is set without KAFKA_SSL_KEY')
  if (sslFlag === true || (sslFlag === undefined && (tlsDetails || rejectUnauthorized !== undefined))) {
    const options: ConnectionOptions = {
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(passphrase === undefined ? {} : { passphrase }),
      ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
    }
    config.ssl = Object.keys(options).length === 0 ? true : options
  }

  // SASL
  const saslMechanism = read('KAFKA_SASL_MECHANISM', mechanism)
  const username = raw('KAFKA_SASL_USERNAME')
  const password = env.KAFKA_SASL_PASSWORD
  if (raw('KAFKA_SASL_MECHANISM') !== undefined) {
    if (username === undefined) problem('KAFKA_SASL_USERNAME', 'is required with KAFKA_SASL_MECHANISM')
    if (password === undefined || password === '') problem('KAFKA_SASL_PASSWORD', 'is required with KAFKA_SASL_MECHANISM')
    if (saslMechanism !== undefined && username !== undefined && password !== undefined && password !== '') {
      config.sasl = { mechanism: saslMechanism, username: username.trim(), password }
    }
  } else if (username !== undefined || (password !== undefined && password !== '')) {
    problem('KAFKA_SASL_MECHANISM', 'is required with KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD (plain, scram-sha-256 or scram-sha-512)')
  }

  // Timeouts and retries
  const connectionTimeoutMs = read('KAFKA_CONNECTION_TIMEOUT_MS', positiveMs)
  if (connectionTimeoutMs !== undefined) config.connectionTimeoutMs = connectionTimeoutMs
  const requestTimeoutMs = read('KAFKA_REQUEST_TIMEOUT_MS', positiveMs)
  if (requestTimeoutMs !== undefined) config.requestTimeoutMs = requestTimeoutMs
  const retries = read('KAFKA_RETRIES', count)
  const initialRetryTimeMs = read('KAFKA_RETRY_INITIAL_TIME_MS', positiveMs)
  const maxRetryTimeMs = read('KAFKA_RETRY_MAX_TIME_MS', positiveMs)
  if (retries !== undefined || initialRetryTimeMs !== undefined || maxRetryTimeMs !== undefined) {
    config.retry = {
      ...(retries === undefined ? {} : { retries }),
      ...(initialRetryTimeMs === undefined ? {} : { initialRetryTimeMs }),
      ...(maxRetryTimeMs === undefined ? {} : { maxRetryTimeMs }),
    }
  }
  const level = read('KAFKIT_LOG_LEVEL', logLevel)
  if (level !== undefined) config.logLevel = level

  // Schema registry
  const registryUrl = read('SCHEMA_REGISTRY_URL', url)
  const registryUser = raw('SCHEMA_REGISTRY_USERNAME')
  const registryPassword = env.SCHEMA_REGISTRY_PASSWORD
  const registryTimeoutMs = read('SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS', positiveMs)
  const hasRegistryPassword = registryPassword !== undefined && registryPassword !== ''
  if (registryUser !== undefined && !hasRegistryPassword) problem('SCHEMA_REGISTRY_PASSWORD', 'is required with SCHEMA_REGISTRY_USERNAME')
  if (registryUser === undefined && hasRegistryPassword) problem('SCHEMA_REGISTRY_USERNAME', 'is required with SCHEMA_REGISTRY_PASSWORD')
  if (raw('SCHEMA_REGISTRY_URL') === undefined && (registryUser !== undefined || hasRegistryPassword || registryTimeoutMs !== undefined)) {
    problem('SCHEMA_REGISTRY_URL', 'is required with the other SCHEMA_REGISTRY_* variables')
  }
  if (registryUrl !== undefined) {
    config.schemaRegistry = {
      url: registryUrl,
      ...(registryUser !== undefined && hasRegistryPassword ? { auth: { username: registryUser.trim(), password: registryPassword } } : {}),
      ...(registryTimeoutMs === undefined ? {} : { requestTimeoutMs: registryTimeoutMs }),
    }
  }

  if (issues.length > 0) {
    const lines = issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`)
    throw new KafkitError('KAFKIT_CONFIG', `Invalid environment: ${lines.join('; ')}`, { issues })
  }
  return config
}

/**
 * The PEM text itself, or the content of the file it names. Reports a problem (never
 * the value: it may be a private key) and returns undefined when neither.
 */
function readPem(value: string, problem: (message: string) => void): string | undefined {
  const text = value.trim()
  if (text.startsWith('-----BEGIN')) {
    if (!text.includes('-----END')) problem('looks like PEM text but has no -----END line')
    // Env files often carry PEM with literal \n.
    return text.includes('\\n') && !text.includes('\n') ? text.replaceAll('\\n', '\n') : text
  }
  if (!existsSync(text)) {
    problem('is neither PEM text (-----BEGIN …) nor the path of an existing file')
    return undefined
  }
  let content: string
  try {
    content = readFileSync(text, 'utf8')
  } catch (error) {
    problem(`names a file that cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    return undefined
  }
  if (!content.includes('-----BEGIN')) {
    problem('names a file without PEM content (-----BEGIN …)')
    return undefined
  }
  return content
}
