/**
 * `@kafkit/testkit`: a real Apache Kafka (ZooKeeper or KRaft mode, 1 or 3 brokers) and a
 * Confluent-compatible schema registry for tests, demos and benchmarks. One API, two
 * backends: testcontainers when a Docker-compatible engine answers, local JVM processes
 * otherwise.
 * @packageDocumentation
 */
import type { BackendName, DetachedHandle, KafkaCluster, StartKafkaOptions } from './types.js'
import { stopOwner } from './internal/processes.js'
import { TestkitError } from './internal/errors.js'
import { type ResolvedOptions, startJvmCluster } from './internal/jvm/backend.js'
import { kafkaVersion } from './internal/cache.js'
import { modeFor, parseKafkaVersion } from './internal/versions.js'

export type { BackendName, ClusterMode, DetachedHandle, KafkaCluster, SchemaRegistryOptions, StartKafkaOptions } from './types.js'
export { TestkitError, TestkitErrorCodes, type TestkitErrorCode } from './internal/errors.js'
export { KAFKA_VERSION, cacheRoot } from './internal/cache.js'
export { rejectionOf, uniqueName, waitFor } from './helpers.js'
export { auditTopic, busiestLeader, killLeaders, partitionLeaders, type KillEvent, type KillScheduleOptions, type TopicAudit } from './failover.js'

const defaultLog = (line: string) => process.stderr.write(`${line}\n`)

function resolveOptions(options: StartKafkaOptions): ResolvedOptions & { backend: BackendName | 'auto' } {
  const brokers = options.brokers ?? 1
  if (brokers !== 1 && brokers !== 3) throw new TestkitError('TESTKIT_BAD_OPTIONS', `brokers must be 1 or 3, got ${String(brokers)}`)
  if (options.mode !== undefined && options.mode !== 'zookeeper' && options.mode !== 'kraft') {
    throw new TestkitError('TESTKIT_BAD_OPTIONS', `mode must be 'zookeeper' or 'kraft', got ${String(options.mode)}`)
  }
  // Checked before anything starts or downloads: Kafka 4.x has no ZooKeeper mode.
  const release = parseKafkaVersion(options.kafkaVersion ?? kafkaVersion())
  const mode = modeFor(release, options.mode)
  // An explicit backend wins; KAFKIT_BACKEND only decides what `auto` means.
  const backend = options.backend && options.backend !== 'auto' ? options.backend : (process.env['KAFKIT_BACKEND'] as BackendName | 'auto' | undefined) || 'auto'
  if (!['auto', 'containers', 'jvm'].includes(backend)) {
    throw new TestkitError('TESTKIT_BAD_OPTIONS', `backend (or KAFKIT_BACKEND) must be 'auto', 'containers' or 'jvm', got '${backend}'`)
  }
  const registry = options.schemaRegistry ?? false
  const registryAuth = typeof registry === 'object' && registry !== null ? registry.auth : undefined
  if (registryAuth !== undefined) {
    const { username, password } = registryAuth as { username?: unknown; password?: unknown }
    if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
      throw new TestkitError('TESTKIT_BAD_OPTIONS', 'schemaRegistry.auth needs a non-empty username and password')
    }
  }
  return {
    brokers,
    mode,
    kafkaVersion: release.version,
    backend,
    schemaRegistry: registry !== false,
    schemaRegistryAuth: registryAuth,
    brokerConfig: options.brokerConfig ?? {},
    startTimeoutMs: options.startTimeoutMs ?? 120_000,
    stopOnExit: options.stopOnExit ?? true,
    log: options.log ?? defaultLog,
    saslSsl: options.saslSsl,
  }
}

/** What only the JVM backend does yet. */
function rejectOnContainers(resolved: ResolvedOptions): void {
  if (resolved.schemaRegistryAuth) {
    throw new TestkitError('TESTKIT_BAD_OPTIONS', "schemaRegistry.auth needs the JVM backend (backend: 'jvm' or KAFKIT_BACKEND=jvm); the containers backend has no authenticated registry yet")
  }
}

/**
 * Which backend `auto` picks here: `containers` when a Docker-compatible engine answers
 * (Docker, or podman set up by the testkit), else `jvm`.
 */
export async function resolveBackend(requested: BackendName | 'auto' = 'auto', log: (line: string) => void = defaultLog): Promise<BackendName> {
  const wanted = requested !== 'auto' ? requested : (process.env['KAFKIT_BACKEND'] as BackendName | 'auto' | undefined) || 'auto'
  if (wanted !== 'auto') return wanted
  const { prepareContainerEngine } = await import('./internal/containers/engine.js')
  return (await prepareContainerEngine(log, { required: false })) ? 'containers' : 'jvm'
}

/**
 * Starts a real Kafka cluster and waits until every broker (and the registry) serves.
 *
 * @example
 * ```ts
 * const kafka = await startKafka({ schemaRegistry: true })
 * // new Kafka({ brokers: kafka.brokers }) ...
 * await kafka.stop()
 * ```
 * @throws TestkitError with a code naming the cause (missing tool, download failure, a
 *   process that exited, a cluster not ready in time) and the tail of the failing log
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaCluster> {
  const resolved = resolveOptions(options)
  const backend = await resolveBackend(resolved.backend, resolved.log)
  if (backend === 'containers') {
    rejectOnContainers(resolved)
    const { prepareContainerEngine } = await import('./internal/containers/engine.js')
    await prepareContainerEngine(resolved.log, { required: true })
    const { startContainerCluster } = await import('./internal/containers/backend.js')
    return startContainerCluster(resolved)
  }
  return startJvmCluster(resolved)
}

/** Internal entry for `npm run kafka:up`: processes that outlive the starting process. */
export async function startDetachedKafka(options: StartKafkaOptions = {}): Promise<KafkaCluster> {
  const resolved = resolveOptions({ ...options, stopOnExit: false })
  const backend = await resolveBackend(resolved.backend, resolved.log)
  if (backend === 'containers') {
    rejectOnContainers(resolved)
    const { prepareContainerEngine } = await import('./internal/containers/engine.js')
    await prepareContainerEngine(resolved.log, { required: true })
    const { startContainerCluster } = await import('./internal/containers/backend.js')
    return startContainerCluster(resolved)
  }
  return startJvmCluster({ ...resolved, persistent: true })
}

/** Stops a cluster started by {@link startDetachedKafka} in another process (`kafka:down`). */
export async function stopDetachedKafka(handle: DetachedHandle): Promise<void> {
  if (handle.backend === 'jvm') {
    await stopOwner(handle.ownerId)
    return
  }
  const { removeContainers } = await import('./internal/containers/backend.js')
  await removeContainers(handle.containerIds, handle.networkIds)
}
