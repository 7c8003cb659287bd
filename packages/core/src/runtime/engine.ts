import type { RebalanceReason } from './events.js'
import type { RecordPlace } from '../internal/record.js'
import type { BatchRecord, OutgoingRecord } from './records.js'

export type { RecordPlace }

/**
 * What the consumer runtime needs from a Kafka engine, in kafkit's own terms. The
 * transport module implements it over kafkajs; nothing here names kafkajs, so another
 * engine can be dropped in.
 */
export interface EngineBatch {
  readonly topic: string
  readonly partition: number
  /** The engine's records, in offset order, as it made them (see {@link BatchRecord}). */
  readonly records: readonly BatchRecord[]
  /** Marks `offset` as processed: the next commit stores `offset + 1`. */
  resolveOffset(offset: string): void
  /** Keeps group membership alive; rejects when the group is rebalancing. */
  heartbeat(): Promise<void>
  /** Commits resolved offsets when the engine's commit interval says so. */
  commitIfNecessary(): Promise<void>
  /** Stops fetching this partition; unresolved records are fetched again on resume. Returns `resume`. */
  pause(): () => void
  /** False once the consumer is stopping. */
  isRunning(): boolean
  /** True when the partition was sought/revoked and this batch no longer applies. */
  isStale(): boolean
}

/** A completed group join. */
export interface GroupJoin {
  memberId: string
  isLeader: boolean
  assignment: Record<string, number[]>
}

/** Group consumer options an engine must honour. */
export interface EngineConsumerConfig {
  groupId: string
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  rebalanceTimeoutMs: number
  maxWaitTimeMs: number
  partitionsConcurrently: number
  /** @default 'read_committed' */
  isolationLevel?: 'read_committed' | 'read_uncommitted'
}

/** Engine-level happenings the runtime reacts to. */
export interface EngineConsumerEvents {
  /**
   * The member's group changes under it, as the engine learns it (a heartbeat, a commit or a
   * fetch failed with a group error). May fire more than once for one change.
   */
  rebalancing: (reason: RebalanceReason, error?: unknown) => void
  /** The engine's fetch loop crashed; `restart: false` means it stopped for good. `error` is a KafkitError. */
  crash: (error: unknown, restart: boolean) => void
  /** Connected to the cluster (also after a restart). */
  connect: () => void
  disconnect: () => void
  /** Joined the group as `memberId`, with these partitions by topic. */
  'group-join': (join: GroupJoin) => void
  /** A fetch (poll) completed, with or without records. */
  fetch: () => void
  /** A partition batch was handled; `lag` is what is left behind it in the partition. */
  'batch-end': (batch: { topic: string; partition: number; size: number; lag: number }) => void
}

/** A group consumer. Offsets are committed only as the runtime resolves them. */
export interface ConsumerEngine {
  connect(): Promise<void>
  subscribe(topics: string[], fromBeginning: boolean): Promise<void>
  /** Starts the fetch loop; resolves once running. `eachBatch` is awaited per partition batch. */
  run(eachBatch: (batch: EngineBatch) => Promise<void>): Promise<void>
  /** Stops fetching, waits for in-flight batches, commits resolved offsets, leaves the group. */
  stop(): Promise<void>
  disconnect(): Promise<void>
  on<K extends keyof EngineConsumerEvents>(event: K, listener: EngineConsumerEvents[K]): () => void
}

/** A producer of already-encoded records; resolves once the broker acknowledged (acks=all). */
export interface RecordSender {
  send(records: OutgoingRecord[]): Promise<void>
}

/** Topic creation for retry and dead-letter topics. */
export interface TopicEnsurer {
  /** Creates the topics that do not exist yet, with `partitions` each (or the broker default). */
  ensureTopics(topics: { name: string; partitions?: number; replicationFactor?: number; config?: Record<string, string> }[]): Promise<void>
  /** Partitions and replication factor of an existing topic, or undefined. */
  describe(topic: string): Promise<{ partitions: number; replicationFactor: number } | undefined>
}

/** What a consumer is built from: the engine pieces, supplied by the `Kafkit` client. */
export interface ConsumerDeps {
  createEngine(config: EngineConsumerConfig): ConsumerEngine
  sender: RecordSender
  topics: TopicEnsurer
  /** Called once by `stop()` after the engine disconnected, to release `sender`/`topics` if the consumer owns them. */
  release?: () => Promise<void>
  /**
   * Wraps each handler call (tracing span, duration metric): `records` is the one record of a
   * message handler's call, or a batch handler's records, all of `place`'s topic and partition.
   * Must call `run(arg)` once and return or throw its outcome. The argument is passed apart so
   * that a call per consumed message needs no closure and no array.
   */
  aroundHandler?: <A, T>(place: RecordPlace, records: BatchRecord | readonly BatchRecord[], groupId: string, run: (arg: A) => T | Promise<T>, arg: A) => T | Promise<T>
  /**
   * Times message-handler calls without `aroundHandler`, while {@link HandlerTiming.direct}
   * says so: the runtime reads the clock once per message instead of the two reads (and the
   * call) of the wrapper, and reports what it measured here.
   */
  handlerTiming?: HandlerTiming
}

/**
 * Where the consumer runtime reports the durations of the message-handler calls it timed
 * itself. A duration runs from before the message's decode to the end of its handler: in a
 * run of handlers that return synchronously, the end of one message is the start of the next.
 */
export interface HandlerTiming {
  /** False while each call must go through `aroundHandler` (a tracing SDK wants a span per call). */
  direct(): boolean
  /** The recorder of successful calls of one group's handler of `topic` (the topic read), in seconds. */
  recorder(groupId: string, topic: string): (durationS: number) => void
  /** Records one failed call: the handler threw or its promise rejected with `error`. */
  failed(groupId: string, topic: string, durationS: number, error: unknown): void
}
