import type { Serde } from '../serde.js'
import { previousAttempts } from './headers.js'
import { headerText, type RawHeaders, type RawRecord } from './records.js'

/**
 * What the consumer needs of a topic contract: its name and serdes. Every contract made
 * by `defineTopic` has this shape.
 */
export interface ConsumableContract<K = unknown, V = unknown> {
  readonly name: string
  readonly key?: Serde<K, any> | undefined
  readonly value: Serde<V, any>
}

/** The key type a contract decodes to. */
export type ContractKey<C> = C extends ConsumableContract<infer K, any> ? K : never
/** The value type a contract decodes to. */
export type ContractValue<C> = C extends ConsumableContract<any, infer V> ? V : never

/** One consumed message, decoded by its contract. */
export interface Message<K, V> {
  /** The decoded key; `null` when the record has none. */
  key: K | null
  /** The decoded value; `null` for a tombstone. */
  value: V | null
  /** Headers as UTF-8 text (the last value of a repeated name). */
  headers: Record<string, string>
  /** Headers as they came, bytes included. */
  rawHeaders: RawHeaders
  /** The contract's topic, also when the record came through a retry topic. */
  topic: string
  /** The topic the record was read from (a retry topic, or `topic`). */
  receivedFrom: string
  partition: number
  offset: string
  timestamp: Date
  /** 1 on the first try; counts tries across retry topics too. */
  attempt: number
}

/** The context a handler gets beside its message(s). */
export interface HandlerContext {
  /** Fires when the partition is revoked or the consumer stops past its shutdown timeout. */
  signal: AbortSignal
}

/** A handler of one message. Throw to fail it; the failure policy decides what follows. */
export type MessageHandler<K, V> = (message: Message<K, V> & HandlerContext) => void | Promise<void>

/** A handler of several messages of one partition, in order. Throw to fail them all. */
export type BatchHandler<K, V> = (messages: Message<K, V>[], context: HandlerContext) => void | Promise<void>

function decodeField<T>(serde: Serde<T, any> | undefined, bytes: Buffer | null, raw: RawRecord, field: 'key' | 'value'): T | null | Promise<T | null> {
  if (bytes === null) return null
  // A contract without a key serde hands the key over as text, as most producers write it.
  if (serde === undefined) return bytes.toString('utf8') as T
  return serde.decode(bytes, { topic: raw.topic, field, partition: raw.partition, offset: raw.offset })
}

/**
 * Decodes a raw record with its contract.
 * @throws KafkitError (`KAFKIT_SERDE_*`, `KAFKIT_VALIDATION`) for bytes that do not decode
 */
export async function decodeMessage<K, V>(contract: ConsumableContract<K, V>, raw: RawRecord, attemptOfDelivery: number): Promise<Message<K, V>> {
  const key = await decodeField(contract.key, raw.key, raw, 'key')
  const value = await decodeField(contract.value, raw.value, raw, 'value')
  const headers: Record<string, string> = {}
  for (const name of Object.keys(raw.headers)) {
    const text = headerText(raw.headers, name)
    if (text !== undefined) headers[name] = text
  }
  return {
    key,
    value,
    headers,
    rawHeaders: raw.headers,
    topic: contract.name,
    receivedFrom: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    timestamp: new Date(Number(raw.timestamp)),
    attempt: previousAttempts(raw.headers) + attemptOfDelivery,
  }
}
