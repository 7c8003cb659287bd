import { KafkitError, type KafkitIssue } from './errors.js'
import type { Serde, SerdeInput, SerdeOutput } from './serde.js'
import { formatIssues } from './internal/issues.js'

/** Any serde, whatever its types. */
// biome-ignore lint: `any` is needed here so every Serde<A, B> is assignable.
export type AnySerde = Serde<any, any>

/** A header that may be absent; see {@link optional}. */
export interface OptionalHeader<S extends AnySerde = AnySerde> {
  readonly optional: true
  readonly serde: S
}

/**
 * The typed headers of a contract: one serde per header name. A plain serde is a required
 * header; wrap it in {@link optional} for one that may be missing.
 */
export type HeaderSpec = Record<string, AnySerde | OptionalHeader>

/**
 * Marks a contract header as optional: producers may leave it out, consumers get
 * `undefined` when it is missing.
 *
 * @example
 * ```ts
 * headers: { 'trace-id': string(), tenant: optional(string()) }
 * ```
 */
export function optional<S extends AnySerde>(serde: S): OptionalHeader<S> {
  return Object.freeze({ optional: true as const, serde })
}

/** What {@link defineTopic} takes. */
export interface TopicDefinition<TName extends string, TValue extends AnySerde, TKey extends AnySerde | undefined, THeaders extends HeaderSpec, TTombstones extends boolean = false> {
  /** The topic name: letters, digits, `.`, `_`, `-`; at most 249 characters. */
  name: TName
  /** Serde of the record key. Omit for a topic without keys (records go round-robin). */
  key?: TKey
  /** Serde of the record value. */
  value: TValue
  /** Typed headers, one serde per name. Undeclared headers still pass as `rawHeaders`. */
  headers?: THeaders
  /** Partitions `ensureTopics` creates the topic with. @default the broker's `num.partitions` */
  partitions?: number
  /** Replication factor `ensureTopics` creates the topic with. @default the broker's `default.replication.factor` */
  replicationFactor?: number
  /** Topic-level configuration (`retention.ms`, `cleanup.policy`…), as Kafka's string values. */
  config?: Record<string, string>
  /**
   * The topic is written in transactions (`producer.transaction`, a pipeline's output):
   * consumers of it must read `read_committed`, and kafkit refuses a `read_uncommitted`
   * consumer for it. @default false
   */
  transactional?: boolean
  /**
   * The value may be a tombstone: a record with a key and no value, which a compacted topic
   * (`config: { 'cleanup.policy': 'compact' }`) reads as "delete this key". Then
   * `send` accepts `value: null` and writes a record without a value (the value serde is
   * not called), and consumers receive `value: null`, typed, so a handler must deal with
   * it. Needs a key serde. Without it, a record without a value is poison (dead-lettered as
   * `KAFKIT_VALIDATION`). @default false
   */
  tombstones?: TTombstones
}

/**
 * A typed event contract: a topic's name, its key/value/header serdes and how it is
 * provisioned. Made by {@link defineTopic}; share it between services as a package.
 */
export interface TopicContract<
  TName extends string = string,
  TValue extends AnySerde = AnySerde,
  TKey extends AnySerde | undefined = AnySerde | undefined,
  THeaders extends HeaderSpec = HeaderSpec,
  TTombstones extends boolean = boolean,
> {
  readonly name: TName
  /** `undefined` for a topic without keys. */
  readonly key: TKey
  readonly value: TValue
  readonly headers: Readonly<THeaders>
  readonly partitions: number | undefined
  readonly replicationFactor: number | undefined
  readonly config: Readonly<Record<string, string>>
  /** Written in transactions: read it `read_committed` (see {@link TopicDefinition.transactional}). */
  readonly transactional: boolean
  /** Values may be tombstones, `null` (see {@link TopicDefinition.tombstones}). */
  readonly tombstones: TTombstones
}

/** Any contract, whatever its types: the constraint of APIs that take one. */
// biome-ignore lint: `any` keeps every TopicContract assignable regardless of variance.
export type AnyTopicContract = TopicContract<string, any, any, any, any>

type Simplify<T> = { [K in keyof T]: T[K] } & {}
type SerdeOf<H> = H extends OptionalHeader<infer S> ? S : H
type RequiredHeaderNames<H> = { [K in keyof H]: H[K] extends OptionalHeader ? never : K }[keyof H]
type OptionalHeaderNames<H> = Exclude<keyof H, RequiredHeaderNames<H>>

/** The headers a producer passes for a contract's header spec. */
export type HeadersInput<H> = Simplify<
  { [K in RequiredHeaderNames<H>]: SerdeInput<SerdeOf<H[K]>> } & { [K in OptionalHeaderNames<H>]?: SerdeInput<SerdeOf<H[K]>> }
>
/** The headers a consumer receives for a contract's header spec. */
export type HeadersOutput<H> = Simplify<
  { [K in RequiredHeaderNames<H>]: SerdeOutput<SerdeOf<H[K]>> } & { [K in OptionalHeaderNames<H>]?: SerdeOutput<SerdeOf<H[K]>> | undefined }
>

/**
 * What a send may pass as a tombstone: `null` only when the contract surely declares
 * tombstones (`true`); a contract typed with a plain `boolean` refuses it, as the run time may.
 */
type OutgoingTombstone<C extends AnyTopicContract> = [C['tombstones']] extends [true] ? null : never
/** What a handler may receive: `null` whenever the contract may declare tombstones, so the compiler asks to handle it. */
type IncomingTombstone<C extends AnyTopicContract> = true extends C['tombstones'] ? null : never

type KeyInput<K> = [K] extends [AnySerde] ? { key: SerdeInput<K> } : { key?: null }
type HeadersField<H> = [RequiredHeaderNames<H>] extends [never] ? { headers?: HeadersInput<H> } : { headers: HeadersInput<H> }

/**
 * What `producer.send(contract, message)` takes for a contract: `key` (required when the
 * contract has a key serde), `value`, the contract's `headers`, and optionally a fixed
 * `partition`, a `timestamp` and undeclared `rawHeaders`.
 */
export type OutgoingMessage<C extends AnyTopicContract> = Simplify<
  KeyInput<C['key']> &
    { value: SerdeInput<C['value']> | OutgoingTombstone<C> } &
    HeadersField<C['headers']> & {
      /** Write to this partition instead of the partitioner's choice. */
      partition?: number
      /** Record timestamp. @default the time of sending */
      timestamp?: Date | number
      /** Headers outside the contract (tracing, routing), written as given. Contract headers win on a name clash. */
      rawHeaders?: Record<string, string | Buffer>
    }
>

/** The decoded key, value and headers of a record, typed by its contract. */
export type DecodedMessage<C extends AnyTopicContract> = {
  /** `null` for a contract without a key serde (or a record without a key). */
  key: [C['key']] extends [AnySerde] ? SerdeOutput<C['key']> : null
  /** `null` only for a tombstone, on a contract with `tombstones: true`. */
  value: SerdeOutput<C['value']> | IncomingTombstone<C>
  headers: HeadersOutput<C['headers']>
}

/** A consumed record, decoded and typed by its contract, with where it came from. */
export type IncomingMessage<C extends AnyTopicContract> = Simplify<
  DecodedMessage<C> & {
    topic: C['name']
    partition: number
    /** Offset as a decimal string (offsets exceed 2^53). */
    offset: string
    /** Milliseconds since the epoch, as a decimal string (Kafka's own representation). */
    timestamp: string
    /** Every header as it came off the wire, contract headers included. */
    rawHeaders: Record<string, Buffer | string | (Buffer | string)[] | undefined>
  }
>

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/

/**
 * Declares a typed topic contract. The types of `producer.send` and of consumed messages
 * come from its serdes, so a wrong field or type is a compile error; the serdes validate at
 * run time too.
 *
 * @example
 * ```ts
 * export const UserActivity = defineTopic({
 *   name: 'user-activity',
 *   key: string(),
 *   value: json(z.object({ userId: z.string(), action: z.enum(['login', 'click']) })),
 *   headers: { 'trace-id': optional(string()) },
 *   partitions: 6, replicationFactor: 3, config: { 'retention.ms': '604800000' },
 * })
 *
 * // A compacted topic whose null values delete keys:
 * export const UserProfiles = defineTopic({
 *   name: 'user-profiles', key: string(), value: json(Profile),
 *   tombstones: true, config: { 'cleanup.policy': 'compact' },
 * })
 * await producer.send(UserProfiles, { key: 'u1', value: null })   // delete u1
 * ```
 * @throws KafkitError `KAFKIT_CONFIG` for an invalid name, a non-serde key/value/header,
 *   non-positive partitions or replication factor, or a non-string config value
 */
export function defineTopic<
  const TName extends string,
  TValue extends AnySerde,
  TKey extends AnySerde | undefined = undefined,
  THeaders extends HeaderSpec = {},
  const TTombstones extends boolean = false,
>(definition: TopicDefinition<TName, TValue, TKey, THeaders, TTombstones>): TopicContract<TName, TValue, TKey, THeaders, TTombstones> {
  const issues = checkDefinition(definition)
  if (issues.length > 0) {
    throw new KafkitError('KAFKIT_CONFIG', `Invalid topic contract${typeof definition?.name === 'string' ? ` '${definition.name}'` : ''}: ${formatIssues(issues)}`, {
      issues,
      context: typeof definition?.name === 'string' ? { topic: definition.name } : {},
    })
  }
  return Object.freeze({
    name: definition.name,
    key: definition.key as TKey,
    value: definition.value,
    headers: Object.freeze({ ...(definition.headers ?? ({} as THeaders)) }),
    partitions: definition.partitions,
    replicationFactor: definition.replicationFactor,
    config: Object.freeze({ ...(definition.config ?? {}) }),
    transactional: definition.transactional ?? false,
    tombstones: (definition.tombstones ?? false) as TTombstones,
  })
}

function isSerde(value: unknown): value is AnySerde {
  return typeof value === 'object' && value !== null && typeof (value as AnySerde).encode === 'function' && typeof (value as AnySerde).decode === 'function'
}

function checkDefinition(definition: TopicDefinition<string, AnySerde, AnySerde | undefined, HeaderSpec, boolean>): KafkitIssue[] {
  const issues: KafkitIssue[] = []
  if (typeof definition !== 'object' || definition === null) return [{ path: [], message: 'expected an object' }]
  if (typeof definition.name !== 'string' || !TOPIC_NAME.test(definition.name) || definition.name === '.' || definition.name === '..') {
    issues.push({ path: ['name'], message: 'must be 1-249 characters of letters, digits, ".", "_" or "-" (and not "." or "..")' })
  }
  if (definition.key !== undefined && !isSerde(definition.key)) issues.push({ path: ['key'], message: 'must be a serde (string(), json(schema)…) or omitted' })
  if (!isSerde(definition.value)) issues.push({ path: ['value'], message: 'must be a serde (string(), json(schema)…)' })
  for (const [name, header] of Object.entries(definition.headers ?? {})) {
    const serde = (header as OptionalHeader).optional === true ? (header as OptionalHeader).serde : header
    if (!isSerde(serde)) issues.push({ path: ['headers', name], message: 'must be a serde or optional(serde)' })
  }
  for (const field of ['partitions', 'replicationFactor'] as const) {
    const value = definition[field]
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) issues.push({ path: [field], message: 'must be a positive integer' })
  }
  if (definition.transactional !== undefined && typeof definition.transactional !== 'boolean') issues.push({ path: ['transactional'], message: 'must be a boolean' })
  if (definition.tombstones !== undefined && typeof definition.tombstones !== 'boolean') issues.push({ path: ['tombstones'], message: 'must be a boolean' })
  // Compaction deletes by key: a tombstone without a key deletes nothing.
  else if (definition.tombstones === true && definition.key === undefined) issues.push({ path: ['tombstones'], message: 'needs a key serde (a tombstone deletes the records of its key)' })
  for (const [name, value] of Object.entries(definition.config ?? {})) {
    if (typeof value !== 'string') issues.push({ path: ['config', name], message: `must be a string (Kafka config values are strings), got ${typeof value}` })
  }
  return issues
}
