import type avsc from 'avsc'
import { KafkitError, type Serde, type SerdeContext } from '@kafkit/core'
import type { AvroInput, AvroValue } from './avro-type.js'
import { contextOf, PerSchemaId, readSchemaId, type SchemaRegistry, type SubjectStrategy, topicNameStrategy, withTopic } from '@kafkit/schema-registry'
import { decodeError, encodeError } from './internal/errors.js'
import { fullName, parseSchema } from './internal/parse.js'
import { HEADER_BYTES, writeHeader } from './internal/wire-format.js'

/** Options of {@link avro}. */
export interface AvroOptions {
  /**
   * Registry to register and fetch schemas. With it, bytes are in the Confluent wire format
   * (magic byte 0, 4-byte schema id, Avro body); without it, plain Avro binary of this schema.
   */
  registry?: SchemaRegistry
  /**
   * Names the subject the schema is registered under.
   * @default topicNameStrategy (`<topic>-value` / `<topic>-key`)
   */
  subjectStrategy?: SubjectStrategy
  /**
   * Register the schema on first use. `false` is lookup-only, for teams that register schemas
   * in CI: the first encode then fails with `KAFKIT_SERDE_UNKNOWN_SCHEMA` naming the subject
   * when the schema is not registered.
   * @default true
   */
  autoRegister?: boolean
}

/** The writer state of one subject: its id and the header-prefixed scratch space. */
interface WriterEntry {
  id: number
  subject: string
}

/** How to read one writer schema id with this serde's (reader) schema. */
interface ReaderEntry {
  resolver: avsc.Resolver | undefined
}

/**
 * An Avro {@link Serde}. Create it with {@link avro}.
 *
 * Registry-backed, the first `encode` for a subject and the first `decode` of an unseen
 * schema id return a Promise (one registry call, shared by concurrent callers); after that
 * both are synchronous and make no registry call.
 */
export class AvroSerde<TOutput, TInput = TOutput> implements Serde<TOutput, TInput> {
  /** Always `avro`. */
  readonly format = 'avro'
  /** The schema as given (registered verbatim, so `doc` and logical types survive). */
  readonly schema: unknown
  /** The parsed avsc type: encodes values and is the reader schema when decoding. */
  readonly type: avsc.Type
  /** The registry, when registry-backed. */
  readonly registry: SchemaRegistry | undefined
  readonly #schemaText: string
  readonly #strategy: SubjectStrategy
  readonly #autoRegister: boolean
  // Writer ids per field, then per topic: two Map lookups and no string building per message.
  readonly #writers = { key: new Map<string, WriterEntry>(), value: new Map<string, WriterEntry>(), headers: new Map<string, WriterEntry>() }
  readonly #pendingWriters = new Map<string, Promise<WriterEntry>>()
  readonly #readers = new PerSchemaId<ReaderEntry>()
  #scratch = Buffer.allocUnsafe(4096)

  constructor(schema: unknown, options: AvroOptions = {}) {
    this.schema = schema
    this.type = parseSchema(schema)
    this.#schemaText = typeof schema === 'string' ? schema : JSON.stringify(schema)
    this.registry = options.registry
    this.#strategy = options.subjectStrategy ?? topicNameStrategy
    this.#autoRegister = options.autoRegister ?? true
    if (typeof this.#strategy !== 'function') throw new KafkitError('KAFKIT_CONFIG', 'avro: subjectStrategy must be a function')
  }

  /** Avro bytes of `value`; a Promise only on the first use of a subject with a registry. */
  encode(value: TInput, ctx: SerdeContext): Buffer | Promise<Buffer> {
    if (!this.registry) return this.#write(undefined, value, ctx)
    const writer = this.#writers[ctx.field].get(ctx.topic)
    if (writer) return this.#write(writer, value, ctx)
    return this.#writerFor(ctx).then((entry) => this.#write(entry, value, ctx))
  }

  /** The value in `bytes`; a Promise only for a schema id this serde has not seen yet. */
  decode(bytes: Buffer, ctx: SerdeContext): TOutput | Promise<TOutput> {
    if (!this.registry) {
      try {
        return this.type.fromBuffer(bytes) as TOutput
      } catch (error) {
        throw decodeError(error, ctx)
      }
    }
    const id = readSchemaId(bytes, ctx)
    const reader = this.#readers.get(id)
    // A new id: once its reader is made, decoded as any other (synchronously, from then on).
    // AvroSerde's own decode, not an override's: a subclass's decode would run twice.
    if (reader === undefined) return this.#readerFor(id, ctx).then(() => AvroSerde.prototype.decode.call(this, bytes, ctx) as TOutput | Promise<TOutput>)
    // The hot path (once per consumed record), one call deep to avsc. decode() at an offset
    // instead of fromBuffer(subarray): no view allocated per message.
    let decoded: { value: unknown; offset: number }
    try {
      decoded = this.type.decode(bytes, HEADER_BYTES, reader.resolver)
    } catch (error) {
      throw decodeError(error, ctx, { schemaId: id })
    }
    if (decoded.offset !== bytes.length) throw leftOver(decoded.offset, bytes, ctx, id)
    return decoded.value as TOutput
  }

  /** Writes into the scratch buffer, then copies into an exact-size (pooled) buffer: no zero-fill, no second write. */
  #write(writer: WriterEntry | undefined, value: TInput, ctx: SerdeContext): Buffer {
    const start = writer ? HEADER_BYTES : 0
    let end: number
    try {
      end = this.type.encode(value, this.#scratch, start)
      while (end < 0) {
        // avsc returns minus the bytes missing: grow and write again.
        this.#scratch = Buffer.allocUnsafe(Math.max(this.#scratch.length * 2, this.#scratch.length - end))
        end = this.type.encode(value, this.#scratch, start)
      }
    } catch (error) {
      throw encodeError(this.type, value, error, ctx, writer ? { schemaId: writer.id, subject: writer.subject } : {})
    }
    const out = Buffer.allocUnsafe(end)
    this.#scratch.copy(out, start, start, end)
    if (writer) writeHeader(out, writer.id)
    return out
  }

  #writerFor(ctx: SerdeContext): Promise<WriterEntry> {
    const registry = this.registry as SchemaRegistry
    const subject = this.#strategy({ topic: ctx.topic, field: ctx.field, recordName: fullName(this.type) })
    const pendingKey = `${ctx.field}\0${ctx.topic}`
    let pending = this.#pendingWriters.get(pendingKey)
    if (!pending) {
      pending = (async () => {
        let id: number | undefined
        try {
          id = this.#autoRegister ? await registry.register(subject, this.#schemaText) : await registry.lookup(subject, this.#schemaText)
        } catch (error) {
          throw withTopic(error, ctx, { subject })
        }
        if (id === undefined) {
          throw new KafkitError(
            'KAFKIT_SERDE_UNKNOWN_SCHEMA',
            `Schema ${fullName(this.type) ?? ''} is not registered under subject "${subject}" and autoRegister is off: register it first (e.g. in CI), or pass autoRegister: true`.replace('Schema  is', 'Schema is'),
            { context: contextOf(ctx, { subject, registry: registry.url }) },
          )
        }
        const entry = { id, subject }
        this.#writers[ctx.field].set(ctx.topic, entry)
        // What this serde writes, it reads without asking the registry.
        this.#readers.set(id, { resolver: undefined })
        return entry
      })()
      this.#pendingWriters.set(pendingKey, pending)
      pending.then(
        () => this.#pendingWriters.delete(pendingKey),
        () => this.#pendingWriters.delete(pendingKey),
      )
    }
    return pending
  }

  #readerFor(id: number, ctx: SerdeContext): Promise<ReaderEntry> {
    return this.#readers.load(id, async () => {
      let text: string
      try {
        text = await (this.registry as SchemaRegistry).getSchema(id)
      } catch (error) {
        throw withTopic(error, ctx, { schemaId: id })
      }
      const writer = parseSchema(text, contextOf(ctx, { schemaId: id }))
      let resolver: avsc.Resolver | undefined
      if (!writer.equals(this.type)) {
        try {
          resolver = this.type.createResolver(writer)
        } catch (error) {
          throw new KafkitError(
            'KAFKIT_SCHEMA_INCOMPATIBLE',
            `Data on topic "${ctx.topic}" written with schema id ${id} cannot be read with this serde's schema: ${(error as Error).message}`,
            { cause: error, context: contextOf(ctx, { schemaId: id }) },
          )
        }
      }
      return { resolver }
    })
  }
}


/**
 * An {@link AvroSerde} without a registry: plain Avro binary, always synchronous, so its
 * `encode` and `decode` are typed without a Promise.
 */
export type LocalAvroSerde<TOutput, TInput = TOutput> = Omit<AvroSerde<TOutput, TInput>, 'encode' | 'decode'> & {
  encode(value: TInput, ctx: SerdeContext): Buffer
  decode(bytes: Buffer, ctx: SerdeContext): TOutput
}

/**
 * An Avro serde for a contract's key or value.
 *
 * The TypeScript types come from the schema literal (write it inline or `as const`):
 * consumers get {@link AvroValue}, producers send {@link AvroInput}. Without a registry the
 * bytes are plain Avro binary and every call is synchronous ({@link LocalAvroSerde}).
 *
 * @example
 * ```ts
 * const registry = new SchemaRegistry({ url: process.env.SCHEMA_REGISTRY_URL! })
 * const value = avro({ type: 'record', name: 'Payment', fields: [{ name: 'id', type: 'string' }] }, { registry })
 * ```
 * @throws KafkitError `KAFKIT_CONFIG` when the schema is not valid Avro
 */
export function avro<const S>(schema: S, options?: AvroOptions & { registry?: undefined }): LocalAvroSerde<AvroValue<S>, AvroInput<S>>
export function avro<const S>(schema: S, options: AvroOptions): AvroSerde<AvroValue<S>, AvroInput<S>>
export function avro<const S>(schema: S, options?: AvroOptions): AvroSerde<AvroValue<S>, AvroInput<S>> | LocalAvroSerde<AvroValue<S>, AvroInput<S>> {
  return new AvroSerde<AvroValue<S>, AvroInput<S>>(schema, options)
}

/** The error for bytes the value did not use up exactly (`offset` -1: the value ran past them). */
function leftOver(offset: number, bytes: Buffer, ctx: SerdeContext, id: number): KafkitError {
  return decodeError(new Error(offset < 0 ? 'truncated buffer' : `trailing data: ${bytes.length - offset} bytes after the value`), ctx, { schemaId: id })
}
