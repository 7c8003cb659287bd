/** Which engine runs the brokers. */
export type BackendName = 'containers' | 'jvm'

/** How the cluster keeps its metadata. */
export type ClusterMode = 'zookeeper' | 'kraft'

/** Options of {@link startKafka}. */
export interface StartKafkaOptions {
  /**
   * Number of brokers.
   * @default 1
   */
  brokers?: 1 | 3
  /**
   * The Apache Kafka release to run, as on Maven Central: `'3.9.2'`, `'4.1.2'`, … Each release
   * gets its own jar set in the cache (and its own local container images). Kafka 4.x is KRaft
   * only and its brokers need Java 17 (JVM backend).
   * @default `KAFKIT_KAFKA_VERSION` when set, else `KAFKA_VERSION` (3.9.2)
   */
  kafkaVersion?: string
  /**
   * `zookeeper` (the seeds' setup: ZooKeeper + broker) or `kraft` (combined broker/controller).
   * Kafka 4.0 removed ZooKeeper mode: with a 4.x `kafkaVersion`, `zookeeper` is refused with
   * `TESTKIT_BAD_OPTIONS`, and the default is `kraft`.
   * @default 'zookeeper' on Kafka 3.x, 'kraft' on Kafka 4.x
   */
  mode?: ClusterMode
  /**
   * Start a Confluent-compatible schema registry against this cluster. With `auth` (JVM
   * backend), the registry requires HTTP basic auth with these credentials: a Keycloak runs
   * beside it, with `username`/`password` as an OAuth client id/secret that the registry
   * exchanges for a token.
   * @default false
   */
  schemaRegistry?: boolean | SchemaRegistryOptions
  /**
   * `containers` (testcontainers, needs a Docker-compatible engine), `jvm` (local child
   * processes, needs Maven and Java 17; Java 11 does for a Kafka 3.x broker without the
   * registry), or `auto`: containers when an engine answers, else jvm.
   * With `auto`, the `KAFKIT_BACKEND` environment variable decides when set.
   * @default 'auto'
   */
  backend?: BackendName | 'auto'
  /**
   * Adds a SASL_SSL listener to every broker (JVM backend): TLS with a CA made for this
   * cluster, SASL with SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN, and these users created before
   * the brokers start. The plaintext listener stays, for inter-broker traffic and tooling.
   */
  saslSsl?: { users: { username: string; password: string }[] }
  /** Extra `server.properties` entries for every broker, e.g. `{ 'num.partitions': '3' }`. */
  brokerConfig?: Record<string, string>
  /**
   * Abort start-up when the cluster is not ready within this time.
   * @default 120_000
   */
  startTimeoutMs?: number
  /**
   * Stop everything when the Node process exits or gets SIGINT/SIGTERM.
   * @default true
   */
  stopOnExit?: boolean
  /** Where progress lines go (downloads, start-up time). @default lines to stderr */
  log?: (line: string) => void
}

/** The object form of {@link StartKafkaOptions.schemaRegistry}. */
export interface SchemaRegistryOptions {
  /** Require HTTP basic auth with these credentials (JVM backend only). */
  auth?: { username: string; password: string }
}

/**
 * What `kafka:down` needs to stop a cluster started by another process: the JVM backend's
 * owner id (its pids are recorded under the cache dir), or the containers' and network's ids.
 */
export type DetachedHandle =
  | { backend: 'jvm'; ownerId: string }
  | { backend: 'containers'; containerIds: string[]; networkIds: string[] }

/** A running cluster. Everything it started is removed by {@link KafkaCluster.stop}. */
export interface KafkaCluster {
  readonly backend: BackendName
  readonly mode: ClusterMode
  /**
   * The Apache Kafka release asked for (`kafkaVersion`). The `confluent` image set (containers
   * with a Docker engine) runs Confluent Platform 7.9, its own build of Kafka 3.9.
   */
  readonly kafkaVersion: string
  /** `host:port` list for clients, comma separated. */
  readonly bootstrapServers: string
  /** The same as an array, for kafkajs' `brokers`. */
  readonly brokers: string[]
  /** The SASL_SSL listener, when asked for with `saslSsl`. */
  readonly saslSsl?: { readonly brokers: string[]; readonly caPem: string }
  /** `host:port` of ZooKeeper in `zookeeper` mode. */
  readonly zookeeper: string | undefined
  /** Base URL of the Confluent-compatible schema registry API, when asked for. */
  readonly schemaRegistryUrl: string | undefined
  /**
   * When the registry was asked for with `auth`: the credentials it accepts as HTTP basic
   * auth, and the OpenID Connect issuer (a Keycloak realm) that checks them.
   */
  readonly schemaRegistryAuth?: { readonly username: string; readonly password: string; readonly issuerUrl: string }
  /** Folder with one log file per process or container. */
  readonly logDir: string
  /** Milliseconds from the call to a ready cluster. */
  readonly startupMs: number
  /** Stops broker `index` (0-based) abruptly, as a crash would; its data is kept. */
  stopBroker(index: number): Promise<void>
  /** Starts broker `index` again on the same address and data, and waits until it serves. */
  startBroker(index: number): Promise<void>
  /** How another process can stop this cluster (see `stopDetachedKafka`). */
  readonly detachedHandle?: DetachedHandle
  /** Stops and removes every process or container it started, and its temp dirs. Idempotent. */
  stop(): Promise<void>
}
