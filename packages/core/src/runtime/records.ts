import type { WireMessage } from '../internal/transport/index.js'

/** One header value as Kafka carries it; a name may repeat, which gives an array. */
export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined

/** Record headers as bytes or text, before any contract decodes them. */
export type RawHeaders = Record<string, HeaderValue>

/**
 * A record inside a partition batch, as the engine hands it over: the batch carries its topic
 * and partition. The engine's own message objects fit it, so a batch's records are passed
 * through as they are, without a copy per record.
 */
export interface BatchRecord {
  /** Offset as a decimal string (offsets exceed 2^53). */
  offset: string
  /** Milliseconds since the epoch, as a decimal string (records of the v0 message format, before Kafka 0.10, have none). */
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  /** Absent only in records of the message formats before Kafka 0.11 (v0, v1), which have no headers. */
  headers?: RawHeaders
}

/** A record as it came off the wire, with its topic and partition: bytes only, nothing decoded. */
export interface RawRecord extends BatchRecord {
  topic: string
  partition: number
  headers: RawHeaders
}

/**
 * A {@link RawRecord} made by `new`, not as an object literal: V8 may judge a literal's objects
 * long-lived once and allocate them in the old generation from then on, where each kept its
 * bytes alive until the next full collection (see `ConsumedMessage` in internal/record.ts).
 */
class PlacedRawRecord implements RawRecord {
  declare topic: string
  declare partition: number
  declare offset: string
  declare timestamp: string
  declare key: Buffer | null
  declare value: Buffer | null
  declare headers: RawHeaders

  constructor(topic: string, partition: number, offset: string, timestamp: string, key: Buffer | null, value: Buffer | null, headers: RawHeaders) {
    this.topic = topic
    this.partition = partition
    this.offset = offset
    this.timestamp = timestamp
    this.key = key
    this.value = value
    this.headers = headers
  }
}

/** The record of a batch with its place: what the runtime's slower paths (failures, routing, batch handlers) work with. */
export function rawRecord(place: { readonly topic: string; readonly partition: number }, record: BatchRecord): RawRecord {
  return new PlacedRawRecord(place.topic, place.partition, record.offset, record.timestamp, record.key ?? null, record.value ?? null, record.headers ?? {})
}

/** A record to write, bytes already encoded. */
export interface OutgoingRecord {
  topic: string
  key: Buffer | null
  value: Buffer | null
  headers: RawHeaders
  /** Omit to let the partitioner choose (by key). */
  partition?: number
  /**
   * Keep this partition when the target topic has it, else the key's partition, else (no
   * key) this partition modulo the partition count: how dead letters and retry copies keep
   * their source partition. Ignored when `partition` is set.
   */
  preferredPartition?: number
}

/** The wire form of an outgoing record, for a sender or a transaction buffer. */
export function toWireMessage(record: OutgoingRecord): WireMessage {
  const wire: WireMessage = { key: record.key, value: record.value, headers: record.headers }
  if (record.partition !== undefined) wire.partition = record.partition
  if (record.preferredPartition !== undefined) wire.preferredPartition = record.preferredPartition
  return wire
}

/** The last value of a header as text, or `undefined`. */
export function headerText(headers: RawHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name]
  const last = Array.isArray(value) ? value[value.length - 1] : value
  if (last === undefined) return undefined
  return typeof last === 'string' ? last : last.toString('utf8')
}

/** The last value of a header as bytes, or `undefined`. */
export function headerBytes(headers: RawHeaders, name: string): Buffer | undefined {
  const value = headers[name]
  const last = Array.isArray(value) ? value[value.length - 1] : value
  if (last === undefined) return undefined
  return typeof last === 'string' ? Buffer.from(last, 'utf8') : last
}
