import type { ErrorInfo } from './error-info.js'
import { headerBytes, headerText, type RawHeaders, type RawRecord } from './records.js'

/**
 * Header names kafkit writes. Values are UTF-8 text, so `kafka-console-consumer
 * --property print.headers=true` shows them as they are.
 */
export const KafkitHeaders = {
  originalTopic: 'kafkit-original-topic',
  originalPartition: 'kafkit-original-partition',
  originalOffset: 'kafkit-original-offset',
  originalTimestamp: 'kafkit-original-timestamp',
  originalGroup: 'kafkit-original-group',
  attempts: 'kafkit-attempts',
  errorCode: 'kafkit-error-code',
  errorClass: 'kafkit-error-class',
  errorMessage: 'kafkit-error-message',
  errorStack: 'kafkit-error-stack',
  failedAt: 'kafkit-failed-at',
  /** On a retry topic record: when it may be handled again (epoch ms). */
  retryDueAt: 'kafkit-retry-due-at',
  /** On a replayed record: `<dlq topic>/<partition>/<offset>` it came from. */
  replayOf: 'kafkit-replay-of',
  /** On a replayed record: the only consumer group that handles it (others skip it). */
  replayGroup: 'kafkit-replay-group',
} as const

/**
 * Spring Kafka's `DeadLetterPublishingRecoverer` names. Partition is a 4-byte and offset
 * and timestamp 8-byte big-endian integers, as Spring writes them, so JVM tooling reads
 * kafkit's dead letters and the other way round.
 */
export const SpringHeaders = {
  originalTopic: 'kafka_dlt-original-topic',
  originalPartition: 'kafka_dlt-original-partition',
  originalOffset: 'kafka_dlt-original-offset',
  originalTimestamp: 'kafka_dlt-original-timestamp',
  originalTimestampType: 'kafka_dlt-original-timestamp-type',
  originalGroup: 'kafka_dlt-original-consumer-group',
  exceptionFqcn: 'kafka_dlt-exception-fqcn',
  exceptionCauseFqcn: 'kafka_dlt-exception-cause-fqcn',
  exceptionMessage: 'kafka_dlt-exception-message',
  exceptionStacktrace: 'kafka_dlt-exception-stacktrace',
} as const

/** Which header names a dead-letter record gets. */
export type HeaderMode = 'kafkit' | 'spring'

/** Where a record first failed and why: what the diagnostic headers carry. */
export interface FailureHeaders {
  originalTopic: string
  originalPartition: number
  originalOffset: string
  originalTimestamp: string
  groupId: string
  attempts: number
  error: ErrorInfo
  failedAt: number
}

/**
 * Headers of the first failure: taken from the record when it already carries them (it
 * came through a retry topic), else from the record itself. This keeps the true source
 * across hops, so a replay goes back to the topic the message was first written to.
 */
export function originOf(record: RawRecord): Pick<FailureHeaders, 'originalTopic' | 'originalPartition' | 'originalOffset' | 'originalTimestamp'> {
  const topic = headerText(record.headers, KafkitHeaders.originalTopic)
  if (topic === undefined) {
    return { originalTopic: record.topic, originalPartition: record.partition, originalOffset: record.offset, originalTimestamp: record.timestamp }
  }
  return {
    originalTopic: topic,
    originalPartition: Number(headerText(record.headers, KafkitHeaders.originalPartition) ?? -1),
    originalOffset: headerText(record.headers, KafkitHeaders.originalOffset) ?? '-1',
    originalTimestamp: headerText(record.headers, KafkitHeaders.originalTimestamp) ?? '-1',
  }
}

/** Attempts recorded on a record by an earlier hop (0 when none). */
export function previousAttempts(headers: RawHeaders | undefined): number {
  const n = Number(headerText(headers, KafkitHeaders.attempts) ?? 0)
  return Number.isFinite(n) && n > 0 ? n : 0
}

/** kafkit's diagnostic headers, always written (retry topics use them too). */
export function kafkitFailureHeaders(f: FailureHeaders): Record<string, string> {
  return {
    [KafkitHeaders.originalTopic]: f.originalTopic,
    [KafkitHeaders.originalPartition]: String(f.originalPartition),
    [KafkitHeaders.originalOffset]: f.originalOffset,
    [KafkitHeaders.originalTimestamp]: f.originalTimestamp,
    [KafkitHeaders.originalGroup]: f.groupId,
    [KafkitHeaders.attempts]: String(f.attempts),
    [KafkitHeaders.errorCode]: f.error.code,
    [KafkitHeaders.errorClass]: f.error.className,
    [KafkitHeaders.errorMessage]: f.error.message,
    [KafkitHeaders.errorStack]: f.error.stack,
    [KafkitHeaders.failedAt]: String(f.failedAt),
  }
}

/** Spring's `kafka_dlt-*` headers with Spring's binary encodings. */
export function springFailureHeaders(f: FailureHeaders): Record<string, Buffer> {
  const int32 = Buffer.alloc(4)
  int32.writeInt32BE(f.originalPartition)
  const offset = Buffer.alloc(8)
  offset.writeBigInt64BE(BigInt(f.originalOffset))
  const timestamp = Buffer.alloc(8)
  timestamp.writeBigInt64BE(BigInt(f.originalTimestamp))
  const headers: Record<string, Buffer> = {
    [SpringHeaders.originalTopic]: Buffer.from(f.originalTopic),
    [SpringHeaders.originalPartition]: int32,
    [SpringHeaders.originalOffset]: offset,
    [SpringHeaders.originalTimestamp]: timestamp,
    [SpringHeaders.originalTimestampType]: Buffer.from('CreateTime'),
    [SpringHeaders.originalGroup]: Buffer.from(f.groupId),
    [SpringHeaders.exceptionFqcn]: Buffer.from(f.error.className),
    [SpringHeaders.exceptionMessage]: Buffer.from(f.error.message),
    [SpringHeaders.exceptionStacktrace]: Buffer.from(f.error.stack),
  }
  if (f.error.causeClassName) headers[SpringHeaders.exceptionCauseFqcn] = Buffer.from(f.error.causeClassName)
  return headers
}

/** What a dead-letter record says about its failure, read from either header mode. */
export interface DeadLetterInfo {
  originalTopic?: string
  originalPartition?: number
  originalOffset?: string
  originalTimestamp?: string
  groupId?: string
  attempts?: number
  errorCode?: string
  errorClass?: string
  errorMessage?: string
  errorStack?: string
  failedAt?: number
  /** Which names were found; `kafkit` wins where both are present. */
  mode?: HeaderMode
}

/** Reads the diagnostic headers of a dead-letter record, kafkit's or Spring's. */
export function parseDeadLetterHeaders(headers: RawHeaders): DeadLetterInfo {
  const text = (name: string) => headerText(headers, name)
  if (text(KafkitHeaders.originalTopic) !== undefined) {
    const num = (name: string) => (text(name) === undefined ? undefined : Number(text(name)))
    return prune({
      mode: 'kafkit',
      originalTopic: text(KafkitHeaders.originalTopic),
      originalPartition: num(KafkitHeaders.originalPartition),
      originalOffset: text(KafkitHeaders.originalOffset),
      originalTimestamp: text(KafkitHeaders.originalTimestamp),
      groupId: text(KafkitHeaders.originalGroup),
      attempts: num(KafkitHeaders.attempts),
      errorCode: text(KafkitHeaders.errorCode),
      errorClass: text(KafkitHeaders.errorClass),
      errorMessage: text(KafkitHeaders.errorMessage),
      errorStack: text(KafkitHeaders.errorStack),
      failedAt: num(KafkitHeaders.failedAt),
    })
  }
  if (text(SpringHeaders.originalTopic) === undefined) return {}
  const bytes = (name: string) => headerBytes(headers, name)
  const partition = bytes(SpringHeaders.originalPartition)
  const offset = bytes(SpringHeaders.originalOffset)
  const timestamp = bytes(SpringHeaders.originalTimestamp)
  return prune({
    mode: 'spring',
    originalTopic: text(SpringHeaders.originalTopic),
    originalPartition: partition?.length === 4 ? partition.readInt32BE() : undefined,
    originalOffset: offset?.length === 8 ? offset.readBigInt64BE().toString() : undefined,
    originalTimestamp: timestamp?.length === 8 ? timestamp.readBigInt64BE().toString() : undefined,
    groupId: text(SpringHeaders.originalGroup),
    errorCode: text(KafkitHeaders.errorCode),
    errorClass: text(SpringHeaders.exceptionFqcn),
    errorMessage: text(SpringHeaders.exceptionMessage),
    errorStack: text(SpringHeaders.exceptionStacktrace),
    attempts: text(KafkitHeaders.attempts) === undefined ? undefined : Number(text(KafkitHeaders.attempts)),
  })
}

/** Names of all diagnostic headers, removed again when a record is replayed. */
export const diagnosticHeaderNames: ReadonlySet<string> = new Set<string>([
  ...Object.values(KafkitHeaders).filter((n) => n !== KafkitHeaders.replayOf && n !== KafkitHeaders.replayGroup),
  ...Object.values(SpringHeaders),
])

function prune<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key]
  return value
}
