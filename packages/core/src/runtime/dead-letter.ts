import type { ErrorInfo } from './error-info.js'
import {
  diagnosticHeaderNames,
  type FailureHeaders,
  type HeaderMode,
  KafkitHeaders,
  kafkitFailureHeaders,
  originOf,
  previousAttempts,
  springFailureHeaders,
  SpringHeaders,
} from './headers.js'
import type { OutgoingRecord, RawHeaders, RawRecord } from './records.js'

/** What a failure record (retry topic or DLQ) is built from. */
export interface FailureRecordInput {
  record: RawRecord
  topic: string
  groupId: string
  /** Tries of this delivery, the failed one included. */
  attempt: number
  error: ErrorInfo
  now: number
}

/** The record's own headers without kafkit's or Spring's diagnostics from earlier hops. */
export function userHeaders(headers: RawHeaders): RawHeaders {
  const kept: RawHeaders = {}
  for (const [name, value] of Object.entries(headers)) if (!diagnosticHeaderNames.has(name)) kept[name] = value
  return kept
}

function failureHeaders(input: FailureRecordInput): FailureHeaders {
  return {
    ...originOf(input.record),
    groupId: input.groupId,
    attempts: previousAttempts(input.record.headers) + input.attempt,
    error: input.error,
    failedAt: input.now,
  }
}

/**
 * The dead-letter copy of a record: original key and value bytes untouched (a poison
 * message keeps the bytes that failed), original headers, plus where it came from and why
 * it failed. In `spring` mode the diagnostics use Spring's `kafka_dlt-*` names and
 * encodings, plus `kafkit-error-code` and `kafkit-attempts`, which Spring has no names for.
 */
export function buildDeadLetterRecord(input: FailureRecordInput, mode: HeaderMode): OutgoingRecord {
  const f = failureHeaders(input)
  const diagnostics: RawHeaders =
    mode === 'spring'
      ? { ...springFailureHeaders(f), [KafkitHeaders.errorCode]: f.error.code, [KafkitHeaders.attempts]: String(f.attempts) }
      : kafkitFailureHeaders(f)
  return { topic: input.topic, key: input.record.key, value: input.record.value, headers: { ...userHeaders(input.record.headers), ...diagnostics }, preferredPartition: sourcePartition(f) }
}

/**
 * The partition a failure record prefers: the first source's (also after retry topics,
 * which keep it), so a dead letter sits next to its neighbours. Where the target topic
 * lacks it, the key's partition is used, or for a keyless record this number modulo the
 * partition count (see `OutgoingRecord.preferredPartition`).
 */
function sourcePartition(f: FailureHeaders): number | undefined {
  return Number.isInteger(f.originalPartition) && f.originalPartition >= 0 ? f.originalPartition : undefined
}

/** Header values that only help a human (stack traces, long messages): what a record sheds when the broker refuses it as it is. */
const bulkyHeaders = new Set<string>([KafkitHeaders.errorStack, SpringHeaders.exceptionStacktrace])
const messageHeaders = new Set<string>([KafkitHeaders.errorMessage, SpringHeaders.exceptionMessage])

/**
 * The same failure record without its diagnostic extras: no stack trace, the error
 * message cut to 200 characters. The source, group, attempts and error code stay, so a
 * replay still finds its way.
 */
export function withoutExtras(record: OutgoingRecord): OutgoingRecord {
  const headers: RawHeaders = {}
  for (const [name, value] of Object.entries(record.headers)) {
    if (bulkyHeaders.has(name)) continue
    headers[name] = messageHeaders.has(name) && typeof value === 'string' ? value.slice(0, 200) : value
  }
  return { ...record, headers }
}

/** The copy of a record sent to a retry topic, due `delayMs` after `now`. */
export function buildRetryRecord(input: FailureRecordInput, delayMs: number): OutgoingRecord {
  const f = failureHeaders(input)
  const headers: RawHeaders = {
    ...userHeaders(input.record.headers),
    ...kafkitFailureHeaders(f),
    [KafkitHeaders.retryDueAt]: String(input.now + delayMs),
  }
  return { topic: input.topic, key: input.record.key, value: input.record.value, headers, preferredPartition: sourcePartition(f) }
}
