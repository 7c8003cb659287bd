/**
 * Public types of the produce path that every layer shares: where records landed, how a
 * partition is picked, which compression codecs exist. The transport re-exports them.
 */

/** Where a batch landed: one entry per topic-partition written. */
export interface RecordMetadata {
  topic: string
  partition: number
  /** Offset of the first record written to this partition by the request. */
  baseOffset: string
  /** Broker append time (epoch ms) when the topic uses `LogAppendTime`, else `-1`. */
  logAppendTime: string
}

/** What a partitioner knows when it picks a partition for a record. */
export interface PartitionerContext {
  readonly topic: string
  /** The encoded key, `null` for a record without a key. */
  readonly key: Buffer | null
  /** Number of partitions of the topic. */
  readonly partitionCount: number
  /** Partition ids that have a leader right now. */
  readonly availablePartitions: readonly number[]
}

/**
 * Picks the partition of a record that has no explicit `partition`. Return an id in
 * `[0, partitionCount)`. Called once per record, synchronously.
 */
export type Partitioner = (context: PartitionerContext) => number

/** A compression codec Kafka knows. */
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/**
 * What became of a send's records on one partition:
 * - `written`: in the log, acknowledged;
 * - `not-written`: the broker refused them or they were never sent; retrying cannot duplicate them;
 * - `unknown`: a request carrying them got no answer (connection lost, timeout) before the
 *   delivery timeout; they may be in the log. Retrying them may duplicate them.
 */
export type RecordOutcome = 'written' | 'not-written' | 'unknown'

/** One partition of a failed send, in `KafkitError.context.partitions`. */
export interface PartitionDeliveryReport {
  topic: string
  partition: number
  /** Records of this send for this partition. */
  records: number
  written: number
  notWritten: number
  unknown: number
  /** Offset of the first written record, when some were written. */
  baseOffset?: string
}
