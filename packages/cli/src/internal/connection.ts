import { type KafkitConfig, readEnvConfig, type SchemaRegistryConnection } from '@kafkit/core'
import { type CliIo, UsageError } from '../command.js'

type Env = CliIo['env']

/** The variables of `env` whose names pass `keep`: a command is not failed by settings it does not use. */
function only(env: Env, keep: (name: string) => boolean): Env {
  return Object.fromEntries(Object.entries(env).filter(([name]) => keep(name)))
}

/**
 * The client config of a command that talks to the cluster: everything core reads from the
 * `KAFKA_*` environment (TLS, SASL, timeouts, retries; `readEnvConfig`), with `--brokers`
 * replacing `KAFKA_BROKERS`. Builds the config only; nothing connects.
 *
 * @throws UsageError when neither gives a broker
 * @throws KafkitError `KAFKIT_CONFIG` when a `KAFKA_*` variable is invalid (named, never quoted)
 */
export function kafkaConfig(brokersFlag: string | undefined, env: Env): KafkitConfig {
  const fromFlag = brokersFlag === undefined ? undefined : brokersFlag.split(',').map((b) => b.trim()).filter(Boolean)
  // A flag-given broker list makes KAFKA_BROKERS irrelevant, even an invalid one.
  const fromEnv = readEnvConfig(only(env, (name) => name.startsWith('KAFKA_') && !(fromFlag !== undefined && name === 'KAFKA_BROKERS')))
  const brokers = fromFlag ?? fromEnv.brokers ?? []
  if (brokers.length === 0) throw new UsageError('give --brokers host:port or set KAFKA_BROKERS')
  return { ...fromEnv, clientId: 'kafkit-cli', logLevel: 'nothing', brokers }
}

/**
 * Where a registry command connects: `SCHEMA_REGISTRY_URL` with its credentials and timeout
 * (`readEnvConfig`), or the `--registry` URL instead. The environment's credentials go with
 * a `--registry` URL only when it is the environment's registry (same origin) and carries
 * none of its own: they are never sent to another host. `undefined` when neither gives a URL.
 *
 * @throws KafkitError `KAFKIT_CONFIG` when a `SCHEMA_REGISTRY_*` variable is invalid
 */
export function registryConnection(registryFlag: string | undefined, env: Env): SchemaRegistryConnection | undefined {
  const fromEnv = readEnvConfig(only(env, (name) => name.startsWith('SCHEMA_REGISTRY_'))).schemaRegistry
  if (registryFlag === undefined) return fromEnv
  const timeout = fromEnv?.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: fromEnv.requestTimeoutMs }
  const auth = fromEnv?.auth !== undefined && sameOrigin(registryFlag, fromEnv.url) ? { auth: fromEnv.auth } : {}
  return { url: registryFlag, ...timeout, ...auth }
}

/** Whether `flag` names the same scheme, host and port as `envUrl` and has no credentials itself. */
function sameOrigin(flag: string, envUrl: string): boolean {
  try {
    const url = new URL(flag)
    return url.username === '' && url.password === '' && url.origin === new URL(envUrl).origin
  } catch {
    return false // an invalid --registry fails in SchemaRegistry, with a message naming it
  }
}
