import { isKafkitError, KafkitError, type KafkitErrorContext } from '../errors.js'
import type { SerdeContext } from '../serde.js'

// Building blocks of serdes in the Confluent wire format (core's JSON Schema serde,
// `@kafkit/avro`, `@kafkit/protobuf`, and a format of your own): the framing's schema id,
// errors that carry the topic, partition and offset, and a per-schema-id cache that asks
// the registry once per id. Exported by @kafkit/core and re-exported by @kafkit/schema-registry.

/** Byte 0 of the Confluent wire format. */
export const MAGIC_BYTE = 0
/** The magic byte and the 4-byte schema id. */
export const HEADER_BYTES = 5

/** The error context of a serde call: the topic always, partition/offset when consumed. */
export function contextOf(ctx: SerdeContext, extra: Record<string, unknown> = {}): KafkitErrorContext {
  const context: KafkitErrorContext = { topic: ctx.topic, field: ctx.field, ...extra }
  if (ctx.partition !== undefined) context.partition = ctx.partition
  if (ctx.offset !== undefined) context.offset = ctx.offset
  return context
}

/** Adds the topic to a registry error (the registry client does not know it). */
export function withTopic(error: unknown, ctx: SerdeContext, extra: Record<string, unknown>): unknown {
  if (isKafkitError(error)) {
    return new KafkitError(error.code, `${error.message} (topic "${ctx.topic}", ${ctx.field})`, {
      cause: error.cause ?? error,
      retriable: error.retriable,
      context: { ...error.context, ...contextOf(ctx, extra) },
      issues: error.issues,
    })
  }
  return error
}

/**
 * The schema id of Confluent-framed bytes.
 * @param minBytes the shortest valid record of the format (`HEADER_BYTES`, more when the format adds to the header)
 * @param header how the header is named in the error when the bytes are too short
 * @throws KafkitError `KAFKIT_SERDE_MAGIC_BYTE` (poison) for empty or short bytes or another magic byte
 */
export function readSchemaId(bytes: Buffer, ctx: SerdeContext, minBytes = HEADER_BYTES, header = 'the 5-byte Confluent header'): number {
  if (bytes.length < Math.max(minBytes, HEADER_BYTES) || bytes[0] !== MAGIC_BYTE) {
    throw new KafkitError(
      'KAFKIT_SERDE_MAGIC_BYTE',
      bytes.length === 0
        ? `Empty ${ctx.field} on topic "${ctx.topic}": expected the Confluent wire format`
        : bytes[0] !== MAGIC_BYTE
          ? `Unknown magic byte ${bytes[0]} in ${ctx.field} on topic "${ctx.topic}": expected 0 (Confluent wire format)`
          : `${ctx.field} on topic "${ctx.topic}" is ${bytes.length} bytes, shorter than ${header}`,
      { context: contextOf(ctx) },
    )
  }
  // readInt32BE(1), without its argument checks: the length was checked above. Once per record.
  return ((bytes[1] as number) << 24) | ((bytes[2] as number) << 16) | ((bytes[3] as number) << 8) | (bytes[4] as number)
}

/**
 * What a serde made of a writer schema, per schema id: made once, also when many records of
 * a new id arrive together (they share the one load); a failed load is not kept, so the next
 * record asks again (a registry outage passes).
 */
export class PerSchemaId<T> {
  readonly #ready = new Map<number, T>()
  readonly #loading = new Map<number, Promise<T>>()
  // The id asked for last and its entry: consecutive records mostly share their schema id.
  // NaN equals no id, so nothing is taken for the last entry before there is one.
  #lastId = Number.NaN
  #last: T | undefined

  /** The entry of `id`, if it was made. */
  get(id: number): T | undefined {
    if (id === this.#lastId) return this.#last
    const entry = this.#ready.get(id)
    if (entry !== undefined) {
      this.#lastId = id
      this.#last = entry
    }
    return entry
  }

  /** Keeps `entry` for `id` (known without a load). */
  set(id: number, entry: T): void {
    this.#ready.set(id, entry)
    if (id === this.#lastId) this.#last = entry
  }

  /** The entry of `id`, made by `load` unless it was made or is being made. */
  load(id: number, load: () => Promise<T>): Promise<T> {
    const ready = this.#ready.get(id)
    if (ready !== undefined) return Promise.resolve(ready)
    let pending = this.#loading.get(id)
    if (pending === undefined) {
      pending = load().then((entry) => {
        this.set(id, entry)
        return entry
      })
      this.#loading.set(id, pending)
      const done = () => void this.#loading.delete(id)
      pending.then(done, done)
    }
    return pending
  }
}
