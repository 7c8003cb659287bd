import type { AnySerde, AnyTopicContract, DecodedMessage, IncomingMessage, OptionalHeader, OutgoingMessage } from '../contract.js'
import { KafkitError, type KafkitErrorContext, isKafkitError } from '../errors.js'
import type { SerdeContext } from '../serde.js'
import { describe } from '../serdes/string.js'
import type { WireHeaders, WireMessage, WireRecord } from './transport/index.js'

/** Per contract, computed once: serde contexts and the header list. */
interface Compiled {
  key: SerdeContext
  value: SerdeContext
  header: SerdeContext
  headers: { name: string; serde: AnySerde; optional: boolean }[]
  /** Whether the key serde's decode reads its context: one declared with only the bytes cannot, and gets `key` as it is (no context made per record). */
  keyReadsContext: boolean
  valueReadsContext: boolean
}

/** The decoded headers of a message whose contract declares none: one frozen empty object for all of them. */
const NO_DECLARED_HEADERS: Record<string, unknown> = Object.freeze({})

const compiled = new WeakMap<AnyTopicContract, Compiled>()

function compile(contract: AnyTopicContract): Compiled {
  let entry = compiled.get(contract)
  if (entry === undefined) {
    const topic = contract.name
    entry = {
      keyReadsContext: contract.key === undefined || readsContext(contract.key as AnySerde),
      valueReadsContext: readsContext(contract.value as AnySerde),
      key: Object.freeze({ topic, field: 'key' as const }),
      value: Object.freeze({ topic, field: 'value' as const }),
      header: Object.freeze({ topic, field: 'headers' as const }),
      headers: Object.entries(contract.headers as Record<string, AnySerde | OptionalHeader>).map(([name, spec]) =>
        (spec as OptionalHeader).optional === true ? { name, serde: (spec as OptionalHeader).serde, optional: true } : { name, serde: spec as AnySerde, optional: false },
      ),
    }
    compiled.set(contract, entry)
  }
  return entry
}

/**
 * Whether `serde.decode` may read its second argument, the context: a function declared with
 * the bytes alone (`decode(bytes)`, as the string serde's) cannot, short of `arguments`, and a
 * function with a rest parameter reports 0, so it counts as reading it.
 */
function readsContext(serde: AnySerde): boolean {
  const length = serde.decode.length
  return length === 0 || length >= 2
}

/** A KafkitError for a serde's failure: KafkitErrors pass, anything else becomes `code`. */
function serdeFailure(error: unknown, context: SerdeContext, code: 'KAFKIT_SERDE_ENCODE' | 'KAFKIT_SERDE_DECODE', extra: KafkitErrorContext = {}): KafkitError {
  if (isKafkitError(error)) return Object.keys(extra).length === 0 ? error : withContext(error, extra)
  const verb = code === 'KAFKIT_SERDE_ENCODE' ? 'encode' : 'decode'
  return new KafkitError(code, `${context.topic} ${context.field}: the ${verb} failed: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
    context: { topic: context.topic, field: context.field, ...extra },
  })
}

/** The same error with more context (the original stays the `cause`). */
export function withContext(error: KafkitError, extra: KafkitErrorContext, prefix = ''): KafkitError {
  return new KafkitError(error.code, `${prefix}${error.message}`, {
    cause: error.cause ?? error,
    retriable: error.retriable,
    context: { ...error.context, ...extra },
    issues: error.issues,
  })
}

function missing(context: SerdeContext, path: (string | number)[], message: string): KafkitError {
  return new KafkitError('KAFKIT_VALIDATION', `${context.topic} ${context.field}: ${message}`, {
    context: { topic: context.topic, field: context.field },
    issues: [{ path, message, code: 'invalid_type' }],
  })
}

/**
 * Runs `work`, which lists the async serde calls it starts; when it then throws synchronously
 * (a missing header, a tombstone), nobody awaits those calls any more, so their later
 * rejection (a registry down) is marked handled instead of reaching the process as unhandled.
 */
function settledOnThrow<T>(work: (started: Promise<unknown>[]) => T): T {
  const started: Promise<unknown>[] = []
  try {
    return work(started)
  } catch (error) {
    for (const promise of started) promise.catch(() => {})
    throw error
  }
}

/** Runs a serde call, turning whatever it throws (now or later) into a KafkitError. */
function run<T>(call: () => T | Promise<T>, context: SerdeContext, code: 'KAFKIT_SERDE_ENCODE' | 'KAFKIT_SERDE_DECODE', extra?: KafkitErrorContext): T | Promise<T> {
  let result: T | Promise<T>
  try {
    result = call()
  } catch (error) {
    throw serdeFailure(error, context, code, extra)
  }
  if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(serdeFailure(error, context, code, extra)))
  return result
}

/**
 * Encodes one message of a contract into wire bytes. Synchronous when every serde is
 * (the usual case); a Promise only when a serde returned one.
 * @throws KafkitError `KAFKIT_VALIDATION`/`KAFKIT_SERDE_ENCODE` with the topic and field
 */
export function encodeRecord<C extends AnyTopicContract>(contract: C, message: OutgoingMessage<C>): WireMessage | Promise<WireMessage> {
  return settledOnThrow((started) => encodeStarted(contract, message, started))
}

function encodeStarted<C extends AnyTopicContract>(contract: C, message: OutgoingMessage<C>, started: Promise<unknown>[]): WireMessage | Promise<WireMessage> {
  const c = compile(contract)
  if (typeof message !== 'object' || message === null) throw missing(c.value, [], `expected a message object, got ${describe(message)}`)
  const input = message as { key?: unknown; value: unknown; headers?: Record<string, unknown>; partition?: number; timestamp?: Date | number; rawHeaders?: Record<string, string | Buffer> }

  let key: Buffer | null | Promise<Buffer> = null
  if (contract.key !== undefined) {
    if (input.key === undefined || input.key === null) throw missing(c.key, [], 'the contract requires a key')
    key = run(() => (contract.key as AnySerde).encode(input.key, c.key), c.key, 'KAFKIT_SERDE_ENCODE')
    if (key instanceof Promise) started.push(key)
  } else if (input.key !== undefined && input.key !== null) {
    throw missing(c.key, [], 'the contract has no key serde, so a message may not have a key')
  }
  // A tombstone of a contract that declares them: no value bytes, the serde is not asked.
  const value = input.value === null && contract.tombstones === true ? null : run(() => (contract.value as AnySerde).encode(input.value, c.value), c.value, 'KAFKIT_SERDE_ENCODE')
  if (value instanceof Promise) started.push(value)

  let headers: WireHeaders | undefined
  let pending: Promise<void>[] | undefined
  if (input.rawHeaders !== undefined) headers = { ...input.rawHeaders }
  for (const header of c.headers) {
    const raw = input.headers?.[header.name]
    if (raw === undefined) {
      if (!header.optional) throw missing(c.header, [header.name], `required header '${header.name}' is missing`)
      continue
    }
    headers ??= {}
    const encoded = run(() => header.serde.encode(raw, c.header), c.header, 'KAFKIT_SERDE_ENCODE', { header: header.name })
    if (encoded instanceof Promise) {
      const target = headers
      const stored = encoded.then((bytes) => void (target[header.name] = bytes))
      started.push(encoded, stored)
      ;(pending ??= []).push(stored)
    } else {
      headers[header.name] = encoded
    }
  }

  const timestamp = input.timestamp === undefined ? undefined : String(input.timestamp instanceof Date ? input.timestamp.getTime() : input.timestamp)
  const build = (keyBytes: Buffer | null, valueBytes: Buffer | null): WireMessage => {
    const wire: WireMessage = { key: keyBytes, value: valueBytes }
    if (headers !== undefined) wire.headers = headers
    if (input.partition !== undefined) wire.partition = input.partition
    if (timestamp !== undefined) wire.timestamp = timestamp
    return wire
  }
  if (key instanceof Promise || value instanceof Promise || pending !== undefined) {
    return Promise.all([key, value, ...(pending ?? [])]).then(([k, v]) => build(k as Buffer | null, v as Buffer | null))
  }
  return build(key, value)
}

/**
 * Encodes messages of one contract. All or nothing: the first invalid message throws (its
 * position in `context.index`) and nothing is returned.
 */
export function encodeRecords<C extends AnyTopicContract>(contract: C, messages: readonly OutgoingMessage<C>[]): WireMessage[] | Promise<WireMessage[]> {
  const out: (WireMessage | Promise<WireMessage>)[] = new Array(messages.length)
  let async = false
  for (let i = 0; i < messages.length; i++) {
    try {
      const encoded = encodeRecord(contract, messages[i]!)
      if (encoded instanceof Promise) {
        async = true
        out[i] = encoded.catch((error: KafkitError) => Promise.reject(withContext(error, { index: i }, `message #${i}: `)))
      } else {
        out[i] = encoded
      }
    } catch (error) {
      // A message before this one may be pending; its failure no longer matters.
      for (const earlier of out) if (earlier instanceof Promise) earlier.catch(() => {})
      throw withContext(error as KafkitError, { index: i }, `message #${i}: `)
    }
  }
  return async ? Promise.all(out) : (out as WireMessage[])
}

function lastHeader(headers: WireHeaders | undefined, name: string): Buffer | undefined {
  const value = headers?.[name]
  const last = Array.isArray(value) ? value[value.length - 1] : value
  if (last === undefined) return undefined
  return typeof last === 'string' ? Buffer.from(last, 'utf8') : last
}

/**
 * A consumed record decoded for a handler: `topic` is its contract's topic (also for a record
 * read from a retry topic), `receivedFrom` the topic it was read from, `attempt` its try, and
 * a message handler's `signal` when one was given.
 */
export type DeliveredRecord<C extends AnyTopicContract> = IncomingMessage<C> & { receivedFrom: string; attempt: number; signal?: AbortSignal }

/** Where a consumed record was read: its topic and partition (a batch carries them once for all its records). */
export interface RecordPlace {
  readonly topic: string
  readonly partition: number
}

/** A consumed record without its place: the engine's message object, as it is. */
export type PlacedRecord = Omit<WireRecord, 'topic' | 'partition'>

/**
 * Decodes a consumed record with its contract: key, value and declared headers (the last
 * value of a repeated header, as Java's `lastHeader`), as delivery `attempt` (with a message
 * handler's `signal`). Synchronous when every serde is.
 * @throws KafkitError `KAFKIT_VALIDATION`/`KAFKIT_SERDE_*` with topic, partition, offset
 *   and field, never retriable (a poison message stays poison); a serde's own KafkitError
 *   passes with its verdict (a retriable `KAFKIT_REGISTRY` when the registry is down)
 */
export function decodeRecord<C extends AnyTopicContract>(contract: C, record: WireRecord, attempt = 1, signal?: AbortSignal): DeliveredRecord<C> | Promise<DeliveredRecord<C>> {
  return decodePlaced(contract, record, record, attempt, signal)
}

/**
 * {@link decodeRecord} of a record whose topic and partition come apart from it (`place`):
 * how the consumer runtime decodes a batch's records as the engine made them, without a copy.
 */
export function decodePlaced<C extends AnyTopicContract>(
  contract: C,
  place: RecordPlace,
  record: PlacedRecord,
  attempt = 1,
  signal?: AbortSignal,
): DeliveredRecord<C> | Promise<DeliveredRecord<C>> {
  // Written for the hot path (once per consumed record): no closures, no arrays unless a
  // serde is async. The async work started before a synchronous throw (a missing header, a
  // tombstone) is marked handled, so its later rejection cannot reach the process.
  const c = compile(contract)
  let key: unknown = null
  let value: unknown = null
  let pending: Promise<void>[] | undefined
  const headers: Record<string, unknown> = c.headers.length === 0 ? NO_DECLARED_HEADERS : {}
  try {
    if (contract.key !== undefined) {
      // `== null`: an engine may leave an absent key undefined rather than null.
      if (record.key == null) throw decodeProblem(c.key, place, record.offset, [], 'the contract requires a key, the record has none')
      key = decodeField(contract.key as AnySerde, record.key, c.key, place, record.offset, undefined, c.keyReadsContext)
    }
    if (record.value == null) {
      // A tombstone is a message only for a contract that declares them; for any other it is poison.
      if (contract.tombstones !== true) throw decodeProblem(c.value, place, record.offset, [], 'the record has no value (a tombstone), and the contract does not declare tombstones: true')
    } else {
      value = decodeField(contract.value as AnySerde, record.value, c.value, place, record.offset, undefined, c.valueReadsContext)
    }
    for (const header of c.headers) {
      const bytes = lastHeader(record.headers, header.name)
      if (bytes === undefined) {
        if (!header.optional) throw decodeProblem(c.header, place, record.offset, [header.name], `required header '${header.name}' is missing`)
        headers[header.name] = undefined
        continue
      }
      const decoded = decodeField(header.serde, bytes, c.header, place, record.offset, header.name)
      if (decoded instanceof Promise) (pending ??= []).push(decoded.then((v) => void (headers[header.name] = v)))
      else headers[header.name] = decoded
    }
  } catch (error) {
    for (const started of [key, value, ...(pending ?? [])]) if (started instanceof Promise) started.catch(() => {})
    throw error
  }
  if (key instanceof Promise || value instanceof Promise || pending !== undefined) {
    return Promise.all([key, value, ...(pending ?? [])]).then(([k, v]) => delivered<C>(contract, place, record, k, v, headers, attempt, signal))
  }
  return delivered<C>(contract, place, record, key, value, headers, attempt, signal)
}

/**
 * A consumed message, made by `new` rather than as an object literal. V8 judges each object
 * literal in the code once, from how many of its objects survived the first young-generation
 * collections that counted them, and from then on allocates a literal judged long-lived
 * straight in the old generation (allocation-site pretenuring). A message literal judged so
 * once (by chance, at a moment when many messages were alive) made every later message an
 * old object that kept its decoded key and value alive through every young collection until
 * the next full one: a quarter more CPU for the rest of the process (bench/README.md, "the slow
 * mode"). Objects made by a constructor are never pretenured. Every field is assigned in the
 * constructor, so all messages share one shape.
 */
class ConsumedMessage {
  // `declare`: no field definitions before the constructor's assignments, which set the shape.
  declare topic: string
  declare partition: number
  declare offset: string
  declare timestamp: string
  declare key: unknown
  declare value: unknown
  declare headers: Record<string, unknown>
  declare rawHeaders: WireHeaders
  declare receivedFrom: string
  declare attempt: number

  constructor(topic: string, partition: number, offset: string, timestamp: string, key: unknown, value: unknown, headers: Record<string, unknown>, rawHeaders: WireHeaders, receivedFrom: string, attempt: number) {
    this.topic = topic
    this.partition = partition
    this.offset = offset
    this.timestamp = timestamp
    this.key = key
    this.value = value
    this.headers = headers
    this.rawHeaders = rawHeaders
    this.receivedFrom = receivedFrom
    this.attempt = attempt
  }
}

/** A message handler's message: {@link ConsumedMessage} with the handler's `signal`. */
class SignalledMessage extends ConsumedMessage {
  declare signal: AbortSignal

  constructor(topic: string, partition: number, offset: string, timestamp: string, key: unknown, value: unknown, headers: Record<string, unknown>, rawHeaders: WireHeaders, receivedFrom: string, attempt: number, signal: AbortSignal) {
    super(topic, partition, offset, timestamp, key, value, headers, rawHeaders, receivedFrom, attempt)
    this.signal = signal
  }
}

function delivered<C extends AnyTopicContract>(
  contract: C,
  place: RecordPlace,
  record: PlacedRecord,
  key: unknown,
  value: unknown,
  headers: Record<string, unknown>,
  attempt: number,
  signal: AbortSignal | undefined,
): DeliveredRecord<C> {
  const rawHeaders = record.headers ?? {}
  if (signal === undefined) return new ConsumedMessage(contract.name, place.partition, record.offset, record.timestamp, key, value, headers, rawHeaders, place.topic, attempt) as unknown as DeliveredRecord<C>
  return new SignalledMessage(contract.name, place.partition, record.offset, record.timestamp, key, value, headers, rawHeaders, place.topic, attempt, signal) as unknown as DeliveredRecord<C>
}

/** The serde context of one field of a consumed record. */
function consumedContext(base: SerdeContext, place: RecordPlace, offset: string): SerdeContext {
  return { topic: place.topic, field: base.field, partition: place.partition, offset }
}

/** A record that does not fit its contract (no key, a tombstone, a missing header), with where it is. */
function decodeProblem(base: SerdeContext, place: RecordPlace, offset: string, path: (string | number)[], message: string): KafkitError {
  return withContext(missing(consumedContext(base, place, offset), path, message), { partition: place.partition, offset }, `${place.topic}[${place.partition}]@${offset}: `)
}

/**
 * Decodes one field, turning whatever the serde throws (now or later) into a KafkitError with
 * the record's place. A serde that does not read its context (`readsContext` false) is
 * called with the field's base context, and the full one is made only for its failure.
 */
function decodeField(serde: AnySerde, bytes: Buffer, base: SerdeContext, place: RecordPlace, offset: string, header?: string, readsContext = true): unknown {
  const context = readsContext ? consumedContext(base, place, offset) : base
  let result: unknown
  try {
    result = serde.decode(bytes, context)
  } catch (error) {
    throw serdeFailure(error, consumedContext(base, place, offset), 'KAFKIT_SERDE_DECODE', fieldPlace(place, offset, header))
  }
  if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(serdeFailure(error, consumedContext(base, place, offset), 'KAFKIT_SERDE_DECODE', fieldPlace(place, offset, header))))
  return result
}

function fieldPlace(place: RecordPlace, offset: string, header: string | undefined): KafkitErrorContext {
  return header === undefined ? { partition: place.partition, offset } : { partition: place.partition, offset, header }
}

export type { DecodedMessage }
