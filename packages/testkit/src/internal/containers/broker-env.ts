/** How a broker container is configured: its ports, and server.properties as Confluent-style environment variables. */
import type { ClusterMode } from '../../types.js'

export const INTERNAL_PORT = 9092
export const CONTROLLER_PORT = 9093
export const EXTERNAL_CONTAINER_PORT = 19092
export const REGISTRY_PORT = 8081
export const ZOOKEEPER_PORT = 2181
/** Re-resolve container names after 1 s: restarted containers get new addresses. */
export const JVM_DNS_TTL = '-Dsun.net.inetaddr.ttl=1 -Dsun.net.inetaddr.negative.ttl=0'

export interface BrokerEnvironmentInput {
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
export function brokerEnvironment(input: BrokerEnvironmentInput): Record<string, string> {
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

/**
 * A random KRaft cluster id: 16 bytes, URL-safe base64 without padding (22 characters). Never
 * one that starts with `-`: `kafka-storage format -t -xyz…` takes it for an option and exits 1
 * (which failed one KRaft start in 64). Kafka's own `Uuid.randomUuid()` avoids them too.
 */
export function kraftClusterId(): string {
  const bytes = new Uint8Array(16)
  for (;;) {
    crypto.getRandomValues(bytes)
    const id = Buffer.from(bytes).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}
