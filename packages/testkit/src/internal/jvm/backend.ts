import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KafkaCluster, StartKafkaOptions } from '../../types.js'
import { REGISTRY_JAR, ensureKafkaJars, ensureRegistryDist } from '../cache.js'
import { TestkitError } from '../errors.js'
import { assertPortFree, freePort } from '../ports.js'
import { type ManagedProcess, ProcessGroup, ownerMarker, reapOrphans, tailFile } from '../processes.js'
import { clusterHasBrokers, registryAnswers, waitForBrokerGone, waitUntil } from '../readiness.js'
import { requireJava } from '../tools.js'
import { javaNeeds, kafkaTraits, parseKafkaVersion } from '../versions.js'
import { makeCertificates } from '../tls.js'
import { type StartedKeycloak, ensureKeycloakDist, keycloakRealmAnswers, registryAnswersWithAuth, registryAuthProperties, spawnKeycloak } from '../keycloak.js'
import { LOG4J2_PROPERTIES, LOG4J_PROPERTIES, STORAGE_TOOL_CLASS, clusterSizedDefaults, renderProperties } from './properties.js'
import { saslSslListenerConfig, scramCredentialArgs } from './security.js'
import { kraftClusterId } from '../containers/broker-env.js'

/** Options after defaults, as the backends receive them. */
export type ResolvedOptions = Required<Omit<StartKafkaOptions, 'backend' | 'saslSsl' | 'schemaRegistry'>> & {
  saslSsl?: StartKafkaOptions['saslSsl']
  schemaRegistry: boolean
  /** Basic-auth credentials the registry requires (a Keycloak client id and secret). */
  schemaRegistryAuth?: { username: string; password: string }
  /** Processes outlive this Node process (`kafka:up`). */
  persistent?: boolean
}

const HOST = '127.0.0.1'

interface BrokerSlot {
  index: number
  port: number
  /** The SASL_SSL listener's port, when one was asked for. */
  securePort: number | undefined
  controllerPort: number
  configFile: string
  logFile: string
  process: ManagedProcess | undefined
}

/**
 * Starts ZooKeeper (or a KRaft quorum), the brokers and optionally the registry as local
 * JVM child processes on free loopback ports, with data in a temp dir.
 */
export async function startJvmCluster(options: ResolvedOptions): Promise<KafkaCluster> {
  const started = Date.now()
  const log = options.log
  const release = parseKafkaVersion(options.kafkaVersion)
  const traits = kafkaTraits(release)
  // Before any download: a too-old Java fails here, naming the version found and the one needed.
  requireJava(javaNeeds(release, { schemaRegistry: options.schemaRegistry, registryAuth: options.schemaRegistry && options.schemaRegistryAuth !== undefined }))
  reapOrphans(log)
  const libs = await ensureKafkaJars(log, release.version)
  const registryDist = options.schemaRegistry ? await ensureRegistryDist(log) : undefined
  const registryAuth = registryDist ? options.schemaRegistryAuth : undefined
  const keycloakDist = registryAuth ? await ensureKeycloakDist(log) : undefined

  const group = new ProcessGroup(options.stopOnExit, options.persistent)
  const root = mkdtempSync(join(tmpdir(), 'kafkit-'))
  group.addDir(root)
  const logDir = join(root, 'logs')
  mkdirSync(logDir)
  // Kafka 3.x logs through reload4j (log4j 1 properties), Kafka 4.x through log4j2.
  const log4j = join(root, traits.logging === 'log4j2' ? 'log4j2.properties' : 'log4j.properties')
  writeFileSync(log4j, traits.logging === 'log4j2' ? LOG4J2_PROPERTIES : LOG4J_PROPERTIES)
  const log4jFlag = traits.logging === 'log4j2' ? `-Dlog4j2.configurationFile=${log4j}` : `-Dlog4j.configuration=file:${log4j}`
  // Both marks let the reaper and tests tell this cluster's processes from any other's.
  const marker = ownerMarker(group.ownerId)
  const clusterMark = `-Dkafkit.cluster=${root}`

  const java = (name: string, mainClass: string, args: string[], heapMb: number, logFile: string): ManagedProcess =>
    group.spawn(
      name,
      'java',
      [
        marker,
        clusterMark,
        `-Xms64m`,
        `-Xmx${heapMb}m`,
        // Start-up time matters more than peak throughput for a test broker.
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        '-Djava.awt.headless=true',
        log4jFlag,
        `-Dkafka.logs.dir=${logDir}`,
        '-cp',
        `${libs}/*`,
        mainClass,
        ...args,
      ],
      { logFile, detached: options.persistent ?? false },
    )

  try {
    const count = options.brokers
    const slots: BrokerSlot[] = []
    for (let index = 0; index < count; index++) {
      slots.push({
        index,
        port: await freePort(),
        securePort: options.saslSsl ? await freePort() : undefined,
        controllerPort: await freePort(),
        configFile: join(root, `broker-${index}.properties`),
        logFile: join(logDir, `broker-${index}.log`),
        process: undefined,
      })
    }

    let zookeeper: string | undefined
    const watch: ManagedProcess[] = []
    // Keycloak takes the longest to start: it starts first and is awaited before the registry.
    let keycloak: StartedKeycloak | undefined
    const keycloakLog = join(logDir, 'keycloak.log')
    if (keycloakDist && registryAuth) {
      keycloak = await spawnKeycloak({
        group,
        dist: keycloakDist,
        root,
        logFile: keycloakLog,
        marks: [marker, clusterMark],
        users: [registryAuth],
        detached: options.persistent ?? false,
      })
      watch.push(keycloak.process)
    }
    if (options.mode === 'zookeeper') {
      const zkPort = await freePort()
      const zkDir = join(root, 'zookeeper')
      mkdirSync(zkDir)
      const zkConfig = join(root, 'zoo.cfg')
      writeFileSync(
        zkConfig,
        renderProperties({
          dataDir: zkDir,
          clientPort: zkPort,
          clientPortAddress: HOST,
          tickTime: 2000,
          maxClientCnxns: 0,
          'admin.enableServer': false,
          '4lw.commands.whitelist': '*',
        }),
      )
      zookeeper = `${HOST}:${zkPort}`
      const zkLog = join(logDir, 'zookeeper.log')
      const zk = java('zookeeper', 'org.apache.zookeeper.server.quorum.QuorumPeerMain', [zkConfig], 256, zkLog)
      watch.push(zk)
      await waitUntil(() => zookeeperAnswers(HOST, zkPort), { timeoutMs: options.startTimeoutMs, watch, what: 'ZooKeeper', logFile: zkLog })
    }

    const certificates = options.saslSsl ? makeCertificates(root, [HOST, 'localhost']) : undefined
    const users = options.saslSsl?.users ?? []
    if (options.mode === 'zookeeper') {
      // SCRAM credentials live in ZooKeeper; they must exist before a client authenticates.
      for (const user of users) {
        const configLog = join(logDir, 'scram-users.log')
        const tool = java(`SCRAM user ${user.username}`, 'kafka.admin.ConfigCommand', ['--zookeeper', zookeeper as string, '--alter', '--add-config', scramCredentialArgs(user.password), '--entity-type', 'users', '--entity-name', user.username], 256, configLog)
        const code = await tool.exited
        group.forget(tool)
        if (code !== '0') throw new TestkitError('TESTKIT_PROCESS_EXITED', `creating SCRAM user ${user.username} failed (${code}); see ${configLog}`)
      }
    }

    const clusterId = kraftClusterId()
    const voters = slots.map((s) => `${s.index}@${HOST}:${s.controllerPort}`).join(',')
    for (const slot of slots) {
      const dataDir = join(root, `broker-${slot.index}-data`)
      const common: Record<string, string> = {
        ...clusterSizedDefaults(count, options.mode),
        'log.dirs': dataDir,
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name': 'PLAINTEXT',
        'advertised.listeners': `PLAINTEXT://${HOST}:${slot.port}`,
      }
      const modeConfig: Record<string, string> =
        options.mode === 'zookeeper'
          ? {
              'broker.id': String(slot.index),
              listeners: `PLAINTEXT://${HOST}:${slot.port}`,
              'zookeeper.connect': zookeeper as string,
              'zookeeper.connection.timeout.ms': '18000',
            }
          : {
              'node.id': String(slot.index),
              'process.roles': 'broker,controller',
              listeners: `PLAINTEXT://${HOST}:${slot.port},CONTROLLER://${HOST}:${slot.controllerPort}`,
              'controller.listener.names': 'CONTROLLER',
              'controller.quorum.voters': voters,
            }
      const secure = certificates && slot.securePort !== undefined ? saslSslListenerConfig(HOST, slot.securePort, certificates, users) : {}
      if (secure['listeners']) {
        modeConfig['listeners'] = `${modeConfig['listeners']},${secure['listeners']}`
        common['advertised.listeners'] = `${common['advertised.listeners']},${secure['advertised.listeners']}`
        common['listener.security.protocol.map'] = `${common['listener.security.protocol.map']},SASL_SSL:SASL_SSL`
        delete secure['listeners']
        delete secure['advertised.listeners']
      }
      writeFileSync(slot.configFile, renderProperties({ ...common, ...modeConfig, ...secure, ...options.brokerConfig }))
      if (options.mode === 'kraft') {
        const formatLog = join(logDir, `broker-${slot.index}-format.log`)
        const format = java(`storage format of broker ${slot.index}`, STORAGE_TOOL_CLASS, ['format', '-t', clusterId, '-c', slot.configFile, '--ignore-formatted', ...users.flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`, '--add-scram', `SCRAM-SHA-256=[name=${u.username},password=${u.password}]`])], 256, formatLog)
        const code = await format.exited
        group.forget(format)
        if (code !== '0') {
          // The log goes with the temp dir when start-up fails: its tail goes into the error.
          throw new TestkitError('TESTKIT_PROCESS_EXITED', `formatting KRaft storage for broker ${slot.index} failed (${code}); last lines of ${formatLog}:\n${tailFile(formatLog, 15)}`)
        }
      }
    }

    const startSlot = (slot: BrokerSlot) => {
      slot.process = java(`broker ${slot.index}`, 'kafka.Kafka', [slot.configFile], 512, slot.logFile)
      return slot.process
    }
    for (const slot of slots) watch.push(startSlot(slot))
    const brokers = slots.map((s) => `${HOST}:${s.port}`)
    await waitUntil(() => clusterHasBrokers(brokers, count), {
      timeoutMs: options.startTimeoutMs,
      watch,
      what: `${count} Kafka broker(s)`,
      logFile: slots[0]?.logFile,
    })

    let schemaRegistryUrl: string | undefined
    if (keycloak) {
      const issuer = keycloak.issuerUrl
      await waitUntil(() => keycloakRealmAnswers(issuer), { timeoutMs: options.startTimeoutMs, watch, what: 'Keycloak (for the registry)', logFile: keycloakLog })
    }
    if (registryDist) {
      const port = await freePort()
      const registryLog = join(logDir, 'schema-registry.log')
      const registry = group.spawn(
        'schema registry',
        'java',
        [
          marker,
          clusterMark,
          '-Xms64m',
          '-Xmx384m',
          '-XX:TieredStopAtLevel=1',
          '-XX:+UseSerialGC',
          `-Dquarkus.http.port=${port}`,
          `-Dquarkus.http.host=${HOST}`,
          // In-memory (H2) storage: the registry lives as long as this test cluster does.
          '-Dquarkus.log.console.json=false',
          ...(keycloak ? registryAuthProperties(keycloak) : []),
          '-jar',
          join(registryDist, REGISTRY_JAR),
        ],
        { logFile: registryLog, detached: options.persistent ?? false },
      )
      watch.push(registry)
      schemaRegistryUrl = `http://${HOST}:${port}/apis/ccompat/v7`
      const url = schemaRegistryUrl
      await waitUntil(() => (registryAuth ? registryAnswersWithAuth(url, registryAuth) : registryAnswers(url)), {
        timeoutMs: options.startTimeoutMs,
        watch,
        what: 'the schema registry',
        logFile: registryLog,
      })
    }

    const startupMs = Date.now() - started
    log(`kafkit: Kafka ${release.version} ${options.mode} cluster with ${count} broker(s)${registryDist ? ` and schema registry${keycloak ? ' (basic auth via Keycloak)' : ''}` : ''} ready in ${(startupMs / 1000).toFixed(1)} s (jvm backend, logs in ${logDir})`)

    const slotAt = (index: number): BrokerSlot => {
      const slot = slots[index]
      if (!slot) throw new TestkitError('TESTKIT_BAD_OPTIONS', `no broker ${index}: the cluster has brokers 0..${count - 1}`)
      return slot
    }
    let stopped = false
    return {
      backend: 'jvm',
      mode: options.mode,
      kafkaVersion: release.version,
      bootstrapServers: brokers.join(','),
      brokers,
      zookeeper,
      schemaRegistryUrl,
      schemaRegistryAuth: keycloak && registryAuth ? { username: registryAuth.username, password: registryAuth.password, issuerUrl: keycloak.issuerUrl } : undefined,
      saslSsl: certificates ? { brokers: slots.map((s) => `${HOST}:${s.securePort}`), caPem: certificates.caPem } : undefined,
      logDir,
      startupMs,
      detachedHandle: { backend: 'jvm', ownerId: group.ownerId },
      async stopBroker(index) {
        const slot = slotAt(index)
        if (!slot.process || slot.process.hasExited()) return
        await slot.process.stop('SIGKILL')
        group.forget(slot.process)
        slot.process = undefined
        // Returns once the cluster noticed. With other brokers, once all of them dropped it (and
        // so re-elected leaders for its partitions); which in ZooKeeper mode also means its
        // registration expired, so a restart does not fail with NodeExists.
        const survivors = slots.filter((other) => other.index !== index && other.process && !other.process.hasExited()).map((other) => `${HOST}:${other.port}`)
        if (survivors.length > 0) {
          await waitForBrokerGone(survivors, index, options.startTimeoutMs)
        } else if (zookeeper) {
          // A lone broker: wait for ZooKeeper itself to drop its registration.
          const [zkHost, zkPort] = zookeeper.split(':') as [string, string]
          const registered = async () => {
            const dump = await fourLetterWord(zkHost, Number(zkPort), 'dump')
            if (!dump.includes('ephemeral nodes dump')) throw new Error(`ZooKeeper's dump answered ${JSON.stringify(dump.slice(0, 80))}`)
            return dump.includes(`\t/brokers/ids/${index}\n`)
          }
          await waitUntil(async () => !(await registered()), {
            timeoutMs: options.startTimeoutMs,
            what: `ZooKeeper to notice that broker ${index} is gone`,
          })
        }
      },
      async startBroker(index) {
        const slot = slotAt(index)
        if (slot.process && !slot.process.hasExited()) return
        await assertPortFree(slot.port)
        const restarted = startSlot(slot)
        // Ready when this broker answers on its own address and is back in the metadata.
        await waitUntil(() => clusterHasBrokers([`${HOST}:${slot.port}`], count), {
          timeoutMs: options.startTimeoutMs,
          watch: [restarted],
          what: `broker ${index} after restart`,
          logFile: slot.logFile,
        })
      },
      async stop() {
        if (stopped) return
        stopped = true
        await group.stopAll()
      },
    }
  } catch (error) {
    await group.stopAll(2000)
    throw error
  }
}

/** ZooKeeper's `ruok` four-letter command answers `imok` once it serves. */
async function zookeeperAnswers(host: string, port: number): Promise<boolean> {
  return (await fourLetterWord(host, port, 'ruok')) === 'imok'
}

/** Sends a ZooKeeper four-letter command and resolves with the whole reply ('' on error). */
async function fourLetterWord(host: string, port: number, command: string): Promise<string> {
  const { connect } = await import('node:net')
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let reply = ''
    socket.setTimeout(2000, () => socket.destroy())
    socket.on('connect', () => socket.write(command))
    socket.on('data', (chunk) => (reply += chunk.toString()))
    socket.on('close', () => resolve(reply))
    socket.on('error', () => resolve(''))
  })
}
