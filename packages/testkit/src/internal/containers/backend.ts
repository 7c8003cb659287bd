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
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import {
  GenericContainer,
  getContainerRuntimeClient,
  Network,
  type StartedNetwork,
  type WaitStrategy,
} from 'testcontainers'
import { TestkitError } from '../errors.js'
import { freePort } from '../ports.js'
import type { ClusterMode, KafkaCluster, StartKafkaOptions } from '../../types.js'
import { prepareContainerEngine, type ContainerEngine } from './engine.js'
import { ensureImages } from './images.js'
import { EXTERNAL_CONTAINER_PORT, INTERNAL_PORT, JVM_DNS_TTL, REGISTRY_PORT, ZOOKEEPER_PORT, brokerEnvironment, kraftClusterId, propertyToEnv } from './broker-env.js'
import { CLUSTER_LABEL, installContainerExitHook, removeByIds, removeContainers } from './cleanup.js'
import type { Member } from './member.js'
import { sleep, waitForBrokers, waitForRegistry } from './waits.js'
import { waitForBrokerGone } from '../readiness.js'

export { propertyToEnv, removeContainers }


/** The options {@link startContainerCluster} needs, defaults already applied. */
export type ContainerClusterOptions = Required<
  Pick<StartKafkaOptions, 'brokers' | 'mode' | 'kafkaVersion' | 'brokerConfig' | 'startTimeoutMs' | 'stopOnExit'>
> & { schemaRegistry: boolean; log?: (line: string) => void }

/** Image label naming the path of the Confluent-compatible API (Apicurio: /apis/ccompat/v7). */
const REGISTRY_PATH_LABEL = 'dev.kafkit.registry-path'

/** testcontainers must not wait on ports or logs: readiness is checked through Kafka itself. */
const noWait: WaitStrategy = {
  waitUntilReady: () => Promise.resolve(),
  withStartupTimeout() {
    return this
  },
  isStartupTimeoutSet: () => true,
  getStartupTimeout: () => 0,
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
  const images = await ensureImages({ engine, mode: opts.mode, schemaRegistry: opts.schemaRegistry, kafkaVersion: opts.kafkaVersion }, log)
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
      `kafkit: containers cluster ready in ${(startupMs / 1000).toFixed(1)} s (Kafka ${opts.kafkaVersion}, ${opts.mode === 'zookeeper' ? 'ZooKeeper + ' : 'KRaft, '}${n} broker${n > 1 ? 's' : ''}${registryUrl ? ' + schema registry' : ''}, ${images.set} images); logs in ${logDir}`,
    )

    return {
      backend: 'containers',
      mode: opts.mode as ClusterMode,
      kafkaVersion: opts.kafkaVersion,
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
        if (survivors.length > 0) await waitForBrokerGone(survivors, index, opts.startTimeoutMs)
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










function brokerAt(brokerMembers: Member[], index: number): Member {
  const member = brokerMembers[index]
  if (!member) throw new TestkitError('TESTKIT_BAD_OPTIONS', `no broker ${index}: this cluster has brokers 0..${brokerMembers.length - 1}`)
  return member
}



