/**
 * The `containers` backend: ZooKeeper (or KRaft), 1 or 3 Kafka brokers and optionally a
 * Confluent-compatible schema registry, as containers on one network, through testcontainers.
 *
 * Listeners: every broker has INTERNAL (`kafka-<i>:9092`, for the other containers) and
 * EXTERNAL (`<host>:<port>`, for the test process). The host port is chosen before the
 * container is created and bound 1:1, so the advertised address is known up front and stays
 * the same when a broker is restarted.
 *
 * Ryuk is not used (no image can be pulled on the podman path), so {@link KafkaCluster.stop}
 * removes every container and the network by id, and an exit hook does the same when the
 * process ends without calling it.
 */
import { spawnSync } from 'node:child_process'
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import {
  GenericContainer,
  getContainerRuntimeClient,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  type WaitStrategy,
} from 'testcontainers'
import { TestkitError } from '../errors.js'
import { installExitHook } from '../exit-hook.js'
import { freePort } from '../ports.js'
import { brokerNotReadyReason, describeCluster } from '../readiness.js'
import type { ClusterMode, KafkaCluster, StartKafkaOptions } from '../../types.js'
import { prepareContainerEngine, type ContainerEngine } from './engine.js'
import { ensureImages } from './images.js'


/** The options {@link startContainerCluster} needs, defaults already applied. */
export type ContainerClusterOptions = Required<
  Pick<StartKafkaOptions, 'brokers' | 'mode' | 'schemaRegistry' | 'brokerConfig' | 'startTimeoutMs' | 'stopOnExit'>
> & { log?: (line: string) => void }

/** Label put on every container of one cluster, so a sweep finds them all by run id. */
const CLUSTER_LABEL = 'dev.kafkit.cluster'
/** Image label naming the path of the Confluent-compatible API (Apicurio: /apis/ccompat/v7). */
const REGISTRY_PATH_LABEL = 'dev.kafkit.registry-path'
const INTERNAL_PORT = 9092
const CONTROLLER_PORT = 9093
const EXTERNAL_CONTAINER_PORT = 19092
const REGISTRY_PORT = 8081
const ZOOKEEPER_PORT = 2181
/** Re-resolve container names after 1 s: restarted containers get new addresses. */
const JVM_DNS_TTL = '-Dsun.net.inetaddr.ttl=1 -Dsun.net.inetaddr.negative.ttl=0'

/** testcontainers must not wait on ports or logs: readiness is checked through Kafka itself. */
const noWait: WaitStrategy = {
  waitUntilReady: () => Promise.resolve(),
  withStartupTimeout() {
    return this
  },
  isStartupTimeoutSet: () => true,
  getStartupTimeout: () => 0,
}

interface Member {
  readonly role: 'zookeeper' | 'kafka' | 'registry'
  readonly name: string
  readonly logFile: string
  readonly container: StartedTestContainer
  readonly logs: WriteStream
  streams: Readable[]
}

/**
 * Starts a cluster as containers and waits until Kafka reports every broker (and the registry
 * answers `GET /subjects`). Uses a Docker engine that answers as is; otherwise starts the
 * testkit's podman service ({@link ensurePodmanEngine}) and the locally built images.
 * @throws TestkitError with the tail of the failing container's log when start-up fails
 */
export async function startContainerCluster(
  opts: ContainerClusterOptions,
  log: (line: string) => void = opts.log ?? ((line) => process.stderr.write(`${line}\n`)),
): Promise<KafkaCluster> {
  const startedAt = Date.now()
  if (opts.brokers !== 1 && opts.brokers !== 3) throw new TestkitError('TESTKIT_BAD_OPTIONS', `brokers must be 1 or 3, not ${String(opts.brokers)}`)
  const engine = await resolveEngine(log)
  const images = await ensureImages({ engine, mode: opts.mode, schemaRegistry: opts.schemaRegistry }, log)
  const client = await getContainerRuntimeClient()
  const runId = Math.random().toString(16).slice(2, 10)
  const logDir = mkdtempSync(join(tmpdir(), `kafkit-containers-${runId}-`))
  mkdirSync(logDir, { recursive: true })
  const host = advertisedHost(client.info.containerRuntime.host)
  const n = opts.brokers
  const externalPorts: number[] = []
  for (let i = 0; i < n; i++) externalPorts.push(await freePort())
  const zookeeperPort = opts.mode === 'zookeeper' ? await freePort() : undefined
  const registryPort = opts.schemaRegistry ? await freePort() : undefined
  const brokers = externalPorts.map((port) => `${host}:${port}`)
  const internalBootstrap = Array.from({ length: n }, (_, i) => `kafka-${i}:${INTERNAL_PORT}`).join(',')
  const members: Member[] = []
  const brokerMembers: Member[] = []
  const downBrokers = new Set<number>()
  let network: StartedNetwork | undefined
  let stopped = false
  let stopping: Promise<void> | undefined

  const startMember = async (role: Member['role'], name: string, container: GenericContainer): Promise<Member> => {
    const logFile = join(logDir, `${name}.log`)
    const logs = createWriteStream(logFile, { flags: 'a' })
    const streams: Readable[] = []
    const started = await container
      .withName(`kafkit-${runId}-${name}`)
      .withLabels({ [CLUSTER_LABEL]: runId, 'dev.kafkit.role': role })
      .withNetwork(network as StartedNetwork)
      .withNetworkAliases(name)
      .withWaitStrategy(noWait)
      // Explicit limits, whatever the engine's defaults: Kafka keeps many files and sockets open.
      // nproc must be given too: once any ulimit is set, podman's compat API fills nproc from
      // its own (higher) limit, which runc may not set ("error setting rlimit type 6").
      .withUlimits({ nofile: { hard: 20_000, soft: 20_000 }, nproc: { hard: 32_768, soft: 32_768 } })
      .withLogConsumer((stream) => {
        streams.push(stream)
        stream.pipe(logs, { end: false })
      })
      .start()
    const member: Member = { role, name, logFile, container: started, logs, streams }
    members.push(member)
    return member
  }

  const sweep = async (): Promise<void> => {
    for (const member of members) member.streams.forEach((stream) => stream.destroy())
    const dockerode = client.container.dockerode
    // Remove by id what we know, then by label whatever a failed start left behind.
    const ids = new Set(members.map((member) => member.container.getId()))
    try {
      const listed = await dockerode.listContainers({ all: true, filters: { label: [`${CLUSTER_LABEL}=${runId}`] } })
      listed.forEach((info) => ids.add(info.Id))
    } catch {
      // listing is best effort; the known ids are removed below anyway
    }
    await removeByIds(dockerode, [...ids], network ? [network.getId()] : [])
    await Promise.all(members.map((member) => new Promise<void>((resolve) => member.logs.end(() => resolve()))))
    // Like the jvm backend: stop() leaves nothing behind, unless asked to keep the logs.
    if (!process.env['KAFKIT_KEEP_LOGS']) rmSync(logDir, { recursive: true, force: true })
  }

  const exitHook = opts.stopOnExit ? installContainerExitHook(engine, runId, () => (stopped ? undefined : { members, network })) : undefined

  const stop = (): Promise<void> => {
    if (!stopping) {
      stopped = true
      stopping = sweep().finally(() => exitHook?.remove())
    }
    return stopping
  }

  try {
    network = await new Network().start()
    const heap = n === 3 ? '-Xmx384m -Xms128m' : '-Xmx512m -Xms128m'
    if (opts.mode === 'zookeeper') {
      // Started first: a broker whose ZooKeeper host name does not resolve yet exits at once.
      await startMember(
        'zookeeper',
        'zookeeper',
        new GenericContainer(images.zookeeper)
          .withEnvironment({ ZOOKEEPER_CLIENT_PORT: String(ZOOKEEPER_PORT), ZOOKEEPER_TICK_TIME: '2000', KAFKA_HEAP_OPTS: '-Xmx256m -Xms64m' })
          .withExposedPorts({ container: ZOOKEEPER_PORT, host: zookeeperPort as number }),
      )
    }
    const clusterId = opts.mode === 'kraft' ? kraftClusterId() : undefined
    // allSettled, not all: when one broker fails, the others must have finished creating
    // their containers before the clean-up sweeps, or they appear after it and leak.
    const settled = await Promise.allSettled(
      externalPorts.map((port, i) =>
        startMember(
          'kafka',
          `kafka-${i}`,
          new GenericContainer(images.kafka)
            .withEnvironment(brokerEnvironment({ index: i, brokers: n, mode: opts.mode, host, port, heap, clusterId, brokerConfig: opts.brokerConfig }))
            .withExposedPorts({ container: EXTERNAL_CONTAINER_PORT, host: port }),
        ),
      ),
    )
    const failedStart = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failedStart) throw failedStart.reason
    brokerMembers.push(...settled.map((result) => (result as PromiseFulfilledResult<Member>).value))
    let registryUrl: string | undefined
    let registryMember: Member | undefined
    if (images.registry && registryPort !== undefined) {
      // Started beside the brokers, not after them: its JVM boots while Kafka does.
      registryMember = await startMember(
        'registry',
        'schema-registry',
        new GenericContainer(images.registry)
          .withEnvironment({
            SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
            SCHEMA_REGISTRY_LISTENERS: `http://0.0.0.0:${REGISTRY_PORT}`,
            SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: internalBootstrap
              .split(',')
              .map((address) => `PLAINTEXT://${address}`)
              .join(','),
            SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR: String(Math.min(3, n)),
            SCHEMA_REGISTRY_HEAP_OPTS: '-Xmx384m -Xms64m',
            SCHEMA_REGISTRY_OPTS: JVM_DNS_TTL,
          })
          .withExposedPorts({ container: REGISTRY_PORT, host: registryPort }),
      )
      const path = process.env['KAFKIT_REGISTRY_PATH'] ?? registryMember.container.getLabels()[REGISTRY_PATH_LABEL] ?? '/'
      registryUrl = `http://${host}:${registryPort}${path === '/' ? '' : path.replace(/\/$/, '')}`
    }
    const deadline = startedAt + opts.startTimeoutMs
    await waitForBrokers(brokers, Array.from({ length: n }, (_, i) => i), members, deadline)
    if (registryUrl && registryMember) await waitForRegistry(registryUrl, members, deadline)
    const startupMs = Date.now() - startedAt
    log(
      `kafkit: containers cluster ready in ${(startupMs / 1000).toFixed(1)} s (${opts.mode === 'zookeeper' ? 'ZooKeeper + ' : 'KRaft, '}${n} broker${n > 1 ? 's' : ''}${registryUrl ? ' + schema registry' : ''}, ${images.set} images); logs in ${logDir}`,
    )

    return {
      backend: 'containers',
      mode: opts.mode as ClusterMode,
      bootstrapServers: brokers.join(','),
      brokers,
      zookeeper: zookeeperPort !== undefined ? `${host}:${zookeeperPort}` : undefined,
      schemaRegistryUrl: registryUrl,
      logDir,
      startupMs,
      detachedHandle: {
        backend: 'containers',
        containerIds: members.map((member) => member.container.getId()),
        networkIds: network ? [network.getId()] : [],
      },
      async stopBroker(index: number) {
        const member = brokerAt(brokerMembers, index)
        const container = client.container.getById(member.container.getId())
        // SIGKILL: a crash, not a clean shutdown; the container (and its data) stays.
        await container.kill().catch((error: unknown) => {
          if (!/not running|is not running|no such process/i.test(String(error))) throw error
        })
        await container.wait().catch(() => undefined)
        downBrokers.add(index)
        // Resolve once the rest of the cluster has noticed (session expiry, ~6 s): until then
        // metadata still names the dead broker as leader or coordinator, and a client that
        // starts in that window gets ECONNREFUSED instead of a retriable error.
        const survivors = brokers.filter((_, i) => !downBrokers.has(i))
        if (survivors.length > 0) await waitForBrokerGone(survivors, index, Date.now() + opts.startTimeoutMs)
      },
      async startBroker(index: number) {
        const member = brokerAt(brokerMembers, index)
        const container = client.container.getById(member.container.getId())
        const deadline = Date.now() + opts.startTimeoutMs
        member.logs.write(`\n----- kafkit: starting ${member.name} again -----\n`)
        for (;;) {
          await container.start().catch((error: unknown) => {
            if (!/already (started|running)|304/i.test(String(error))) throw error
          })
          const since = Math.floor(Date.now() / 1000) - 1
          const stream = await client.container.logs(container, { since })
          member.streams.push(stream)
          stream.pipe(member.logs, { end: false })
          try {
            await waitForBrokers(brokers, [index], members, deadline)
            downBrokers.delete(index)
            return
          } catch (error) {
            // In ZooKeeper mode the killed broker's registration lives until its session expires
            // (6 s); a restart before that exits with NodeExists. Start it again after a pause.
            const state = await container.inspect()
            if (state.State.Running || Date.now() > deadline) throw error
            await sleep(1000)
          }
        }
      },
      stop,
    }
  } catch (error) {
    await stop().catch(() => undefined)
    throw error
  }
}

/**
 * Removes containers (forced, with their anonymous volumes) and then networks by id; ids that
 * are already gone are fine. Used by `kafka:down` for a cluster another process started.
 */
export async function removeContainers(containerIds: string[], networkIds: string[]): Promise<void> {
  await prepareContainerEngine(() => undefined, { required: true })
  const client = await getContainerRuntimeClient()
  await removeByIds(client.container.dockerode, containerIds, networkIds)
}

type Dockerode = Awaited<ReturnType<typeof getContainerRuntimeClient>>['container']['dockerode']

async function removeByIds(dockerode: Dockerode, containerIds: string[], networkIds: string[]): Promise<void> {
  const gone = (pattern: RegExp) => (error: unknown) => {
    if (!pattern.test(String(error))) throw error
  }
  await Promise.all(containerIds.map((id) => dockerode.getContainer(id).remove({ force: true, v: true }).catch(gone(/no such container|not found|404/i))))
  for (const id of networkIds) await dockerode.getNetwork(id).remove().catch(gone(/no such network|not found|404/i))
}

/** DOCKER_HOST / docker.sock as they are; else the testkit's podman service (started if needed). */
async function resolveEngine(log: (line: string) => void): Promise<ContainerEngine> {
  // testcontainers finds DOCKER_HOST or the default socket itself; for our own podman service
  // (running or not) this makes sure it answers and sets the env testcontainers needs.
  return (await prepareContainerEngine(log, { required: true })) as ContainerEngine
}

/** The address the test process reaches published ports on. */
function advertisedHost(runtimeHost: string): string {
  const chosen = process.env['KAFKIT_ADVERTISED_HOST'] ?? runtimeHost
  // Published ports may listen on IPv4 only, and Node resolves localhost to ::1 first.
  return chosen === 'localhost' ? '127.0.0.1' : chosen
}

interface BrokerEnvironmentInput {
  index: number
  brokers: number
  mode: ClusterMode
  host: string
  port: number
  heap: string
  clusterId: string | undefined
  brokerConfig: Record<string, string>
}

/** One broker's configuration in the Confluent env-var convention (both image sets read it). */
function brokerEnvironment(input: BrokerEnvironmentInput): Record<string, string> {
  const { index, brokers, mode, host, port } = input
  const rf = String(Math.min(3, brokers))
  const props: Record<string, string> = {
    'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
    'advertised.listeners': `INTERNAL://kafka-${index}:${INTERNAL_PORT},EXTERNAL://${host}:${port}`,
    'offsets.topic.replication.factor': rf,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': String(Math.min(2, brokers)),
    // 50 partitions each (the defaults) make the first group or transaction on a fresh or
    // just-restarted 3-broker cluster wait seconds for coordinators to load on small machines.
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.num.partitions': '10',
    // Tests create and join groups constantly; the 3 s default only delays them.
    'group.initial.rebalance.delay.ms': '0',
  }
  if (mode === 'zookeeper') {
    props['broker.id'] = String(index)
    props['zookeeper.connect'] = `zookeeper:${ZOOKEEPER_PORT}`
    props['zookeeper.connection.timeout.ms'] = '60000'
    // A crashed broker's registration must expire quickly for failover and restart tests.
    props['zookeeper.session.timeout.ms'] = '6000'
    props['listeners'] = `INTERNAL://0.0.0.0:${INTERNAL_PORT},EXTERNAL://0.0.0.0:${EXTERNAL_CONTAINER_PORT}`
  } else {
    props['node.id'] = String(index)
    // A crashed node leaves the metadata after this long without heartbeats (default 9 s).
    props['broker.session.timeout.ms'] = '6000'
    props['process.roles'] = 'broker,controller'
    props['controller.listener.names'] = 'CONTROLLER'
    props['controller.quorum.voters'] = Array.from({ length: brokers }, (_, i) => `${i}@kafka-${i}:${CONTROLLER_PORT}`).join(',')
    props['listeners'] = `INTERNAL://0.0.0.0:${INTERNAL_PORT},EXTERNAL://0.0.0.0:${EXTERNAL_CONTAINER_PORT},CONTROLLER://0.0.0.0:${CONTROLLER_PORT}`
  }
  Object.assign(props, input.brokerConfig)
  const env: Record<string, string> = {
    KAFKA_HEAP_OPTS: input.heap,
    // A restarted container comes back with a new IP on the network; the JVM's default 30 s
    // DNS cache made the controller dial the old one for 20 s before it saw the broker again.
    KAFKA_OPTS: JVM_DNS_TTL,
  }
  if (input.clusterId) env['CLUSTER_ID'] = input.clusterId
  for (const [key, value] of Object.entries(props)) env[propertyToEnv(key)] = value
  return env
}

/** `foo.bar_baz-qux` → `KAFKA_FOO_BAR__BAZ___QUX`, the inverse of the Confluent images' rule. */
export function propertyToEnv(key: string): string {
  return `KAFKA_${key.replace(/_/g, '__').replace(/-/g, '___').replace(/\./g, '_').toUpperCase()}`
}

/** A random KRaft cluster id: 16 bytes, URL-safe base64 without padding (22 characters). */
function kraftClusterId(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Buffer.from(bytes).toString('base64url')
}

/**
 * Polls through the Kafka protocol until every broker in `expected`, asked on its own
 * address, serves metadata that lists all of `expected` and a controller. Asking each broker
 * itself matters after a restart: the others know the broker is back before it has received
 * the cluster metadata, and a client bootstrapping from it would see controller -1.
 * Fails fast with a log tail when one of our containers has exited.
 */
async function waitForBrokers(brokers: string[], expected: number[], members: Member[], deadline: number): Promise<void> {
  let lastError = 'no answer yet'
  const ready = new Set<number>()
  for (;;) {
    await assertRunning(members, expected)
    for (const id of expected) {
      if (ready.has(id)) continue
      const reason = await brokerNotReadyReason(brokers[id] as string, expected)
      if (reason === null) ready.add(id)
      else lastError = `broker ${id}: ${reason}`
    }
    if (ready.size === expected.length) return
    if (Date.now() > deadline) {
      throw new TestkitError(
        'TESTKIT_NOT_READY',
        `containers backend: Kafka brokers [${expected.join(', ')}] were not all serving in time (${lastError})\n${logTails(members.filter((m) => m.role !== 'registry'))}`,
      )
    }
    await sleep(250)
  }
}

/** Polls the metadata of the live brokers until it no longer lists broker `index`. */
async function waitForBrokerGone(survivors: string[], index: number, deadline: number): Promise<void> {
  for (;;) {
    try {
      if (!(await describeCluster(survivors)).brokerIds.has(index)) return
    } catch {
      // a survivor busy electing leaders: ask again
    }
    if (Date.now() > deadline) {
      throw new TestkitError('TESTKIT_NOT_READY', `containers backend: the cluster still lists the stopped broker ${index} after the start timeout`)
    }
    await sleep(250)
  }
}

/** Polls `GET <url>/subjects` until it answers 200. */
async function waitForRegistry(url: string, members: Member[], deadline: number): Promise<void> {
  let lastError = 'no answer yet'
  for (;;) {
    await assertRunning(members)
    try {
      const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) })
      if (response.status === 200) return
      lastError = `HTTP ${response.status}`
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error)
    }
    if (Date.now() > deadline) {
      throw new TestkitError(
        'TESTKIT_NOT_READY',
        `containers backend: the schema registry at ${url} did not answer in time (${lastError})\n${logTails(members.filter((m) => m.role === 'registry'))}`,
      )
    }
    await sleep(250)
  }
}

/** Throws with the log tail of the first container that is no longer running. */
async function assertRunning(members: Member[], brokerIds?: number[]): Promise<void> {
  const client = await getContainerRuntimeClient()
  for (const member of members) {
    // During a single broker's restart only that broker (and not stopped peers) must run.
    if (brokerIds && member.role === 'kafka' && !brokerIds.includes(Number(member.name.slice('kafka-'.length)))) continue
    const info = await client.container.inspect(client.container.getById(member.container.getId()))
    if (!info.State.Running) {
      throw new TestkitError(
        'TESTKIT_PROCESS_EXITED',
        `containers backend: container ${member.name} exited (code ${info.State.ExitCode}) during start-up\n${logTails([member])}`,
      )
    }
  }
}

function logTails(members: Member[], lines = 40): string {
  return members
    .map((member) => {
      let text = ''
      try {
        text = readFileSync(member.logFile, 'utf8')
      } catch {
        text = '(no log)'
      }
      return `--- last lines of ${member.logFile} ---\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`
    })
    .join('\n')
}

function brokerAt(brokerMembers: Member[], index: number): Member {
  const member = brokerMembers[index]
  if (!member) throw new TestkitError('TESTKIT_BAD_OPTIONS', `no broker ${index}: this cluster has brokers 0..${brokerMembers.length - 1}`)
  return member
}

/**
 * Removes the cluster's containers and network when the process exits without `stop()`:
 * synchronously (an 'exit' handler cannot wait), by a short child Node process that calls
 * the engine API, by id and by the run's label (containers still being created when a
 * start-up was interrupted carry the label too). Signals: see {@link installExitHook}.
 */
function installContainerExitHook(
  engine: ContainerEngine,
  runId: string,
  current: () => { members: Member[]; network: StartedNetwork | undefined } | undefined,
): { remove: () => void } {
  return installExitHook(() => {
    const state = current()
    if (!state) return
    const containers = state.members.map((member) => member.container.getId())
    const network = state.network?.getId()
    const label = `${CLUSTER_LABEL}=${runId}`
    spawnSync(process.execPath, ['-e', EXIT_CLEANUP_SCRIPT, JSON.stringify({ dockerHost: process.env['DOCKER_HOST'] ?? engine.dockerHost, containers, network, label })], {
      stdio: 'ignore',
      timeout: 30_000,
    })
  })
}

/** Deletes containers (forced) then the network through the Docker API, in a child process. */
const EXIT_CLEANUP_SCRIPT = `
const http = require('node:http')
const { dockerHost, containers, network, label } = JSON.parse(process.argv[1])
const target = dockerHost.startsWith('unix://') ? { socketPath: dockerHost.slice(7) } : (() => { const u = new URL(dockerHost.replace(/^tcp:/, 'http:')); return { host: u.hostname, port: Number(u.port || 2375) } })()
const call = (method, path) => new Promise((resolve) => { const req = http.request({ ...target, path, method, timeout: 20000 }, (res) => { let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => resolve(body)) }); req.on('error', () => resolve('')); req.on('timeout', () => req.destroy()); req.end() })
;(async () => {
  let labelled = []
  try { labelled = JSON.parse(await call('GET', '/containers/json?all=1&filters=' + encodeURIComponent(JSON.stringify({ label: [label] })))).map((c) => c.Id) } catch {}
  await Promise.all([...new Set([...containers, ...labelled])].map((id) => call('DELETE', '/containers/' + id + '?force=true&v=true')))
  if (network) await call('DELETE', '/networks/' + network)
})()
`

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
