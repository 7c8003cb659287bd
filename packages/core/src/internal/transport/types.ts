/**
 * The engine-neutral shapes the rest of kafkit speaks. An engine (kafkajs today) is
 * adapted to these in this folder only, so it can be swapped without touching the API.
 */
import type { CompressionName, Partitioner, RecordMetadata } from '../../kafka-types.js'

/** Header values as they travel; a repeated name gives an array. */
export type WireHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>

/** One encoded record to write. */
export interface WireMessage {
  key: Buffer | null
  value: Buffer | null
  headers?: WireHeaders
  partition?: number
  /**
   * The partition this record should keep when the topic has it (a dead letter or a retry
   * copy keeps its source partition); otherwise the partitioner picks by key, and a record
   * without a key goes to `preferredPartition % partitionCount`. An explicit `partition` wins.
   */
  preferredPartition?: number
  /** Epoch milliseconds as a decimal string. */
  timestamp?: string
}

/** Encoded records for one topic. */
export interface WireTopicMessages {
  topic: string
  messages: WireMessage[]
}

/** One consumed record, bytes only. */
export interface WireRecord {
  topic: string
  partition: number
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers?: WireHeaders
}

export type { CompressionName, Partitioner, PartitionerContext, RecordMetadata } from '../../kafka-types.js'

/** Severity of an engine log line. */
export type LogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug'

/** One log line of the engine. */
export interface LogEntry {
  level: Exclude<LogLevel, 'nothing'>
  /** Engine component, e.g. `Producer`, `Connection`. */
  namespace: string
  message: string
  /** Structured extras (broker, clientId, error…). */
  extra: Record<string, unknown>
  /**
   * For a broker's error answer the engine logged (`Response Heartbeat(…)`): the Kafka
   * protocol error and whether the engine retries it by itself.
   */
  protocolError?: { type: string; retriable: boolean }
}

/**
 * Wraps every write to Kafka (plain and transactional sends, dead-letter and retry
 * writes): instrumentation adds trace headers to `batch`, times `send` and counts it.
 * It must call `send` exactly once and return (or throw) its outcome.
 */
export type SendInterceptor = (batch: WireTopicMessages[], send: () => Promise<RecordMetadata[]>) => Promise<RecordMetadata[]>

/** Engine connection settings, already validated. */
export interface TransportConfig {
  clientId: string
  brokers: string[]
  ssl?: boolean | import('node:tls').ConnectionOptions
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  connectionTimeoutMs: number
  requestTimeoutMs: number
  retry: { retries: number; initialRetryTimeMs: number; maxRetryTimeMs: number }
  logLevel: LogLevel
  logger: (entry: LogEntry) => void
  /** Sees every write; see {@link SendInterceptor}. */
  interceptSend?: SendInterceptor
}

/** Engine producer settings, already validated. */
export interface TransportProducerOptions {
  idempotent: boolean
  allowAutoTopicCreation: boolean
  /** Produce requests in flight per broker; `undefined`: 1 when idempotent, else 5. A partition never has more than one batch in flight. */
  maxInFlightRequests: number | undefined
  partitioner: Partitioner
  /** How long a record may take from `send` to its acknowledgement, retries included. */
  deliveryTimeoutMs: number
  /** Bytes of records held for unsettled sends before a send waits for room. @default DEFAULT_MAX_QUEUED_BYTES */
  maxQueuedBytes?: number
  /** How long one produce request may go unanswered. @default the client's requestTimeoutMs */
  requestTimeoutMs?: number
  /** Set for a transactional producer. */
  transactionalId?: string
}

/** Engine settings of a transactional producer, already validated. */
export interface TransportTransactionalOptions {
  transactionalId: string
  /** How long the broker lets a transaction stay open before it aborts it. */
  transactionTimeoutMs: number
  allowAutoTopicCreation: boolean
  partitioner: Partitioner
  /** How long a record may take from `send` to its acknowledgement, retries included. */
  deliveryTimeoutMs: number
  /** Bytes of records held for unsettled sends before a send waits for room. @default DEFAULT_MAX_QUEUED_BYTES */
  maxQueuedBytes?: number
}

/** Where a consumer group stands on one partition: the next offset to read. */
export interface TopicPartitionOffset {
  topic: string
  partition: number
  /** The next offset to consume, as a decimal string. */
  offset: string
}

/** One open transaction. Calls must not overlap; the caller serializes them. */
export interface TransportTransaction {
  send(batch: WireTopicMessages[], options: Omit<TransportSendOptions, 'acks'>): Promise<RecordMetadata[]>
  /** Adds a consumer group's offsets to the transaction: committed if and only if it commits. */
  sendOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void>
  commit(): Promise<void>
  abort(): Promise<void>
}

/**
 * A transactional engine producer. After a commit or abort fails the engine producer is
 * dropped and the next `init()`/`begin()` registers the transactional id again, which
 * makes the broker finish (commit or abort) whatever the failed transaction left open.
 */
export interface TransportTransactionalProducer {
  readonly transactionalId: string
  /** Connects and registers the transactional id: fences older instances with the same id and finishes their open transaction. */
  init(): Promise<void>
  begin(): Promise<TransportTransaction>
  /** Drops the engine producer (after a failure whose outcome is unknown). */
  reset(): Promise<void>
  disconnect(): Promise<void>
}

/** Per-send settings. */
export interface TransportSendOptions {
  acks: -1 | 0 | 1
  compression: CompressionName
  timeoutMs: number
}

/** A connected engine producer. */
export interface TransportProducer {
  connect(): Promise<void>
  disconnect(): Promise<void>
  /** Writes every message in one engine call. Throws a KafkitError. */
  send(batch: WireTopicMessages[], options: TransportSendOptions): Promise<RecordMetadata[]>
  /** Bytes of records held for sends not yet settled. */
  readonly queuedBytes?: number
}

/** What `createTopics` gets for one topic. */
export interface TopicSpec {
  topic: string
  /** `-1`: the broker default. */
  partitions: number
  /** `-1`: the broker default. */
  replicationFactor: number
  config: Record<string, string>
}

/** An existing topic, as the cluster describes it. */
export interface TopicDescription {
  topic: string
  partitions: number
  /** Replicas of partition 0 (all partitions share it when created by a tool). */
  replicationFactor: number
}

/** A connected engine admin. */
export interface TransportAdmin {
  connect(): Promise<void>
  disconnect(): Promise<void>
  listTopics(): Promise<string[]>
  /** Creates topics and waits for their leaders; returns false when they all existed already. */
  createTopics(topics: TopicSpec[], timeoutMs: number): Promise<boolean>
  describeTopics(topics: string[]): Promise<TopicDescription[]>
  /** Current values of the named config entries, by topic; an unknown entry is missing. */
  describeTopicConfigs(topics: { topic: string; names: string[] }[]): Promise<Map<string, Record<string, string>>>
}

/** What a scan reads. */
export interface TopicScanOptions {
  /** Only these partitions (the others are paused, never fetched). @default every partition */
  partitions?: readonly number[]
  /** Start here in these partitions instead of their first offset (an inspect of one record). */
  from?: ReadonlyMap<number, string>
  /**
   * Fail when the scan got no further for this long (a broker unreachable, a transaction
   * still open at the tail). Time the reader spends on records does not count.
   * @default 120_000
   */
  timeoutMs?: number
  /** Records buffered ahead of the reader at most; fetching waits beyond it. @default 2_000 */
  bufferRecords?: number
  /** Called once the end offsets are known, before the first record. */
  onStart?: (info: TopicScanStart) => void
}

/** Where a scan starts and ends. */
export interface TopicScanStart {
  /** Records between the start and the end offsets of the scanned partitions: an upper bound (compaction and transaction markers leave gaps). */
  total: number
  partitions: { partition: number; start: string; end: string }[]
}
