import kafkajs, { type Admin } from 'kafkajs'
// kafkajs' table of Kafka protocol errors (type, message, retriable); kafkajs has no exports map.
import protocolErrorTable from 'kafkajs/src/protocol/error.js'
import { registerCodecs } from './codecs.js'
import { watchedSocketFactory } from './connection-watch.js'
import { DeliveryProducer } from './delivery-producer.js'
import { toKafkitError } from './errors.js'
import type {
  LogEntry,
  LogLevel,
  TopicDescription,
  TopicSpec,
  TransportAdmin,
  TransportConfig,
  TransportProducer,
  TransportProducerOptions,
} from './types.js'

const { Kafka, ConfigResourceTypes, logLevel: EngineLogLevel } = kafkajs

const LEVELS: Record<LogLevel, number> = {
  nothing: EngineLogLevel.NOTHING,
  error: EngineLogLevel.ERROR,
  warn: EngineLogLevel.WARN,
  info: EngineLogLevel.INFO,
  debug: EngineLogLevel.DEBUG,
}
const LEVEL_NAMES = new Map<number, LogEntry['level']>([
  [EngineLogLevel.ERROR, 'error'],
  [EngineLogLevel.WARN, 'warn'],
  [EngineLogLevel.INFO, 'info'],
  [EngineLogLevel.DEBUG, 'debug'],
])


// Lines kafkajs logs that say nothing to a kafkit user.
const SILENCED = ['Limiting retries for the idempotent producer']

// kafkajs' producer logs a retriable send failure with this prefix, then retries the send.
const RETRIED_SEND = 'Failed to send messages: '

// The Kafka protocol errors by the message kafkajs logs for them (`error` of a
// `Response …` line), so the log sink can tell a coordinator hiccup from a real failure.
const PROTOCOL_ERRORS = new Map<string, { type: string; retriable: boolean }>(
  (protocolErrorTable.errorCodes as { type: string; message: string; retriable: boolean }[]).map((e) => [e.message, { type: e.type, retriable: e.retriable }]),
)

/**
 * The kafkajs engine: one `Kafka` instance per kafkit client. Everything else in kafkit
 * reaches Kafka through this class, so swapping the engine means rewriting this folder.
 */
export class KafkajsTransport {
  readonly #kafka: InstanceType<typeof Kafka>
  readonly #config: TransportConfig

  constructor(config: TransportConfig) {
    registerCodecs()
    this.#config = config
    const sink = config.logger
    this.#kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      ...(config.ssl === undefined ? {} : { ssl: config.ssl }),
      ...(config.sasl === undefined ? {} : { sasl: config.sasl as never }),
      // kafkajs' sockets, watched: a "Closed connection" hints at TLS or SASL only when it came before any answer.
      socketFactory: watchedSocketFactory,
      connectionTimeout: config.connectionTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      retry: { retries: config.retry.retries, initialRetryTime: config.retry.initialRetryTimeMs, maxRetryTime: config.retry.maxRetryTimeMs },
      logLevel: LEVELS[config.logLevel],
      logCreator: () => (entry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry.log as { message: string; timestamp: string; logger?: string }
        if (SILENCED.some((text) => message.startsWith(text))) return
        const errorText = (extra as { error?: unknown }).error
        // The protocol error of a broker's error answer (`Response …` lines) and of the
        // producer's "Failed to send messages: <error>" line, logged before kafkajs retries it.
        const protocolError =
          entry.namespace === 'Connection' && typeof errorText === 'string'
            ? PROTOCOL_ERRORS.get(errorText)
            : entry.namespace === 'Producer' && message.startsWith(RETRIED_SEND)
              ? PROTOCOL_ERRORS.get(message.slice(RETRIED_SEND.length))
              : undefined
        sink({ level: LEVEL_NAMES.get(entry.level) ?? 'info', namespace: entry.namespace, message, extra, ...(protocolError === undefined ? {} : { protocolError }) })
      },
    })
  }

  /** The settings this transport was built with. */
  get config(): TransportConfig {
    return this.#config
  }

  producer(options: TransportProducerOptions): TransportProducer {
    return new DeliveryProducer(this.#kafka, this.#config, options)
  }

  admin(): TransportAdmin {
    return new KafkajsAdmin(this.#kafka.admin())
  }

  /**
   * The kafkajs client itself, for the engine adapters in this folder (the group consumer)
   * only: code outside `internal/transport/` must not touch it.
   */
  get engine(): InstanceType<typeof Kafka> {
    return this.#kafka
  }
}

class KafkajsAdmin implements TransportAdmin {
  readonly #admin: Admin

  constructor(admin: Admin) {
    this.#admin = admin
  }

  async connect(): Promise<void> {
    try {
      await this.#admin.connect()
    } catch (error) {
      throw toKafkitError(error, {}, 'Admin connect')
    }
  }

  async disconnect(): Promise<void> {
    await this.#admin.disconnect()
  }

  async listTopics(): Promise<string[]> {
    try {
      return await this.#admin.listTopics()
    } catch (error) {
      throw toKafkitError(error, {}, 'List topics')
    }
  }

  async createTopics(topics: TopicSpec[], timeoutMs: number): Promise<boolean> {
    try {
      return await this.#admin.createTopics({
        waitForLeaders: true,
        timeout: timeoutMs,
        topics: topics.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor,
          configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
        })),
      })
    } catch (error) {
      throw toKafkitError(error, { topics: topics.map((spec) => spec.topic) }, 'Create topics')
    }
  }

  async describeTopics(topics: string[]): Promise<TopicDescription[]> {
    try {
      const { topics: described } = await this.#admin.fetchTopicMetadata({ topics })
      return described.map((topic) => ({
        topic: topic.name,
        partitions: topic.partitions.length,
        replicationFactor: topic.partitions.find((partition) => partition.partitionId === 0)?.replicas.length ?? 0,
      }))
    } catch (error) {
      throw toKafkitError(error, { topics }, 'Describe topics')
    }
  }

  async describeTopicConfigs(topics: { topic: string; names: string[] }[]): Promise<Map<string, Record<string, string>>> {
    const result = new Map<string, Record<string, string>>()
    const wanted = topics.filter((entry) => entry.names.length > 0)
    if (wanted.length === 0) return result
    try {
      const described = await this.#admin.describeConfigs({
        includeSynonyms: false,
        resources: wanted.map((entry) => ({ type: ConfigResourceTypes.TOPIC, name: entry.topic, configNames: entry.names })),
      })
      for (const resource of described.resources) {
        const values: Record<string, string> = {}
        for (const entry of resource.configEntries) values[entry.configName] = entry.configValue
        result.set(resource.resourceName, values)
      }
      return result
    } catch (error) {
      throw toKafkitError(error, { topics: wanted.map((entry) => entry.topic) }, 'Describe topic configs')
    }
  }
}
