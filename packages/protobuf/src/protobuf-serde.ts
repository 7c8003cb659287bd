import type { Type } from 'protobufjs'
import { KafkitError, type KafkitIssue, type SchemaReference, type Serde, type SerdeContext } from '@kafkit/core'
import { contextOf, PerSchemaId, readSchemaId, type SchemaRegistry, type SubjectStrategy, topicNameStrategy, withTopic } from '@kafkit/schema-registry'
import type { ProtoFile } from './proto-file.js'
import type { ProtoMessage } from './proto-message.js'
import { normalize, toPlain } from './internal/convert.js'
import { buildRoot, type IndexResolver, indexResolver, isWellKnown, messageIndexes } from './internal/parse.js'
import { framePrefix, HEADER_BYTES, readFrame } from './internal/wire-format.js'

/** Options of {@link protobuf}. */
export interface ProtobufOptions {
  /**
   * Registry to register and fetch schemas. With it, bytes are in the Confluent wire format
   * (magic byte 0, 4-byte schema id, message indexes, Protobuf body); without it, the plain
   * Protobuf encoding of the message.
   */
  registry?: SchemaRegistry
  /**
   * Names the subject of the message's file.
   * @default topicNameStrategy (`<topic>-value` / `<topic>-key`); `recordName` is the message's full name
   */
  subjectStrategy?: SubjectStrategy
  /**
   * Names the subject each imported file is registered under (its references point there).
   * @default the import path, e.g. `shop/money.proto` (the Java and Python clients' default)
   */
  referenceSubject?: (importName: string) => string
  /**
   * Register the file (and the files it imports) on first use. `false` is lookup-only: the
   * first encode fails with `KAFKIT_SERDE_UNKNOWN_SCHEMA` naming the subject when the schema
   * (or one it imports) is not registered.
   * @default true
   */
  autoRegister?: boolean
}

interface WriterEntry {
  prefix: Buffer
  id: number
  subject: string
}

/**
 * A Protobuf {@link Serde} for one message type. Create it with {@link protobuf}.
 *
 * Registry-backed, the first `encode` for a subject and the first `decode` of an unseen
 * schema id return a Promise (registry calls, shared by concurrent callers); after that
 * both are synchronous. Decoding reads the body with this serde's message type (Protobuf is
 * tag-based: fields this type does not know are skipped, fields the writer left out get
 * their defaults) after checking that the writer's message indexes name the same message.
 */
export class ProtobufSerde<TOutput, TInput = TOutput> implements Serde<TOutput, TInput> {
  /** Always `protobuf`. */
  readonly format = 'protobuf'
  /** The `.proto` file that declares the message. */
  readonly file: ProtoFile
  /** The message's full name, package included. */
  readonly messageName: string
  /** The protobufjs type of the message. */
  readonly type: Type
  /** The registry, when registry-backed. */
  readonly registry: SchemaRegistry | undefined
  readonly #indexes: number[]
  readonly #ownReader: IndexResolver
  readonly #strategy: SubjectStrategy
  readonly #referenceSubject: (name: string) => string
  readonly #autoRegister: boolean
  readonly #writers = { key: new Map<string, WriterEntry>(), value: new Map<string, WriterEntry>(), headers: new Map<string, WriterEntry>() }
  readonly #pendingWriters = new Map<string, Promise<WriterEntry>>()
  /**
   * Files resolved in the registry, by subject and file name: an import shared by several
   * files, or used by the writers of several topics, is registered and looked up once, not
   * once per path to it. Failures are not kept.
   */
  readonly #resolvedFiles = new Map<string, Promise<{ id: number; version: number }>>()
  readonly #readers = new PerSchemaId<IndexResolver>()

  constructor(file: ProtoFile, messageName: string, options: ProtobufOptions = {}) {
    this.file = file
    this.messageName = messageName.replace(/^\./, '')
    this.#indexes = messageIndexes(file, this.messageName)
    this.#ownReader = indexResolver(file.source)
    this.type = buildRoot(file).lookupType(this.messageName)
    this.registry = options.registry
    this.#strategy = options.subjectStrategy ?? topicNameStrategy
    this.#referenceSubject = options.referenceSubject ?? ((name) => name)
    this.#autoRegister = options.autoRegister ?? true
    if (typeof this.#strategy !== 'function') throw new KafkitError('KAFKIT_CONFIG', 'protobuf: subjectStrategy must be a function')
  }

  /** Protobuf bytes of `value`; a Promise only on the first use of a subject with a registry. */
  encode(value: TInput, ctx: SerdeContext): Buffer | Promise<Buffer> {
    if (!this.registry) return this.#body(value, ctx, {})
    const writer = this.#writers[ctx.field].get(ctx.topic)
    if (writer) return this.#framed(writer, value, ctx)
    return this.#writerFor(ctx).then((entry) => this.#framed(entry, value, ctx))
  }

  /** The message in `bytes`; a Promise only for a schema id this serde has not seen yet. */
  decode(bytes: Buffer, ctx: SerdeContext): TOutput | Promise<TOutput> {
    if (!this.registry) return this.#read(bytes, 0, ctx, {})
    const id = readSchemaId(bytes, ctx, HEADER_BYTES + 1, 'the Confluent Protobuf header (5 bytes and the message indexes)')
    const reader = this.#readers.get(id)
    if (reader) return this.#readFramed(reader, id, bytes, ctx)
    return this.#readerFor(id, ctx).then((entry) => this.#readFramed(entry, id, bytes, ctx))
  }

  #body(value: TInput, ctx: SerdeContext, extra: Record<string, unknown>): Buffer {
    const issues: KafkitIssue[] = []
    const normalized = normalize(this.type, value, [], issues)
    if (issues.length > 0 || !normalized) {
      const where = issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ')
      throw new KafkitError('KAFKIT_VALIDATION', `${ctx.field} for topic "${ctx.topic}" does not fit message ${this.messageName}: ${where}`, {
        context: contextOf(ctx, extra),
        issues,
      })
    }
    try {
      const bytes = this.type.encode(this.type.fromObject(normalized)).finish()
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    } catch (error) {
      throw new KafkitError('KAFKIT_SERDE_ENCODE', `Protobuf encoding failed for topic "${ctx.topic}" (${ctx.field}): ${(error as Error).message}`, {
        cause: error,
        context: contextOf(ctx, extra),
      })
    }
  }

  #framed(writer: WriterEntry, value: TInput, ctx: SerdeContext): Buffer {
    return Buffer.concat([writer.prefix, this.#body(value, ctx, { schemaId: writer.id, subject: writer.subject })])
  }

  #readFramed(resolve: IndexResolver, id: number, bytes: Buffer, ctx: SerdeContext): TOutput {
    let frame: ReturnType<typeof readFrame>
    try {
      frame = readFrame(bytes)
    } catch (error) {
      throw decodeError(error, ctx, { schemaId: id })
    }
    const written = resolve(frame.indexes)
    if (written !== this.messageName) {
      throw new KafkitError(
        'KAFKIT_SCHEMA_INCOMPATIBLE',
        written === undefined
          ? `Message indexes [${frame.indexes.join(', ')}] on topic "${ctx.topic}" name no message of schema id ${id}`
          : `Data on topic "${ctx.topic}" is a ${written} (schema id ${id}), this serde reads ${this.messageName}`,
        { context: contextOf(ctx, { schemaId: id, messageIndexes: frame.indexes }) },
      )
    }
    return this.#read(bytes, frame.bodyOffset, ctx, { schemaId: id })
  }

  #read(bytes: Buffer, offset: number, ctx: SerdeContext, extra: Record<string, unknown>): TOutput {
    try {
      return toPlain(this.type, this.type.decode(offset === 0 ? bytes : bytes.subarray(offset))) as TOutput
    } catch (error) {
      throw decodeError(error, ctx, extra)
    }
  }

  #writerFor(ctx: SerdeContext): Promise<WriterEntry> {
    const subject = this.#strategy({ topic: ctx.topic, field: ctx.field, recordName: this.messageName })
    const pendingKey = `${ctx.field}\0${ctx.topic}`
    let pending = this.#pendingWriters.get(pendingKey)
    if (!pending) {
      pending = (async () => {
        let id: number
        try {
          id = (await this.#resolveFile(this.file, subject, ctx)).id
        } catch (error) {
          throw withTopic(error, ctx, { subject })
        }
        const entry = { prefix: framePrefix(id, this.#indexes), id, subject }
        this.#writers[ctx.field].set(ctx.topic, entry)
        // What this serde writes, it reads without asking the registry: the id is its own file's.
        this.#readers.set(id, this.#ownReader)
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

  /** Registers (or looks up) a file under `subject`, its imports first under their own subjects; once per subject and file. */
  #resolveFile(file: ProtoFile, subject: string, ctx: SerdeContext): Promise<{ id: number; version: number }> {
    const key = `${subject}\0${file.name}`
    let pending = this.#resolvedFiles.get(key)
    if (pending === undefined) {
      pending = this.#registerFile(file, subject, ctx)
      this.#resolvedFiles.set(key, pending)
      pending.catch(() => this.#resolvedFiles.delete(key))
    }
    return pending
  }

  async #registerFile(file: ProtoFile, subject: string, ctx: SerdeContext): Promise<{ id: number; version: number }> {
    const registry = this.registry as SchemaRegistry
    const references: SchemaReference[] = []
    for (const imported of file.imports ?? []) {
      if (isWellKnown(imported.name)) continue
      const refSubject = this.#referenceSubject(imported.name)
      const { version } = await this.#resolveFile(imported, refSubject, ctx)
      references.push({ name: imported.name, subject: refSubject, version })
    }
    const schema = { schema: file.source, schemaType: 'PROTOBUF' as const, references }
    if (this.#autoRegister) await registry.register(subject, schema)
    const found = await registry.lookupVersion(subject, schema)
    if (!found) {
      throw new KafkitError(
        'KAFKIT_SERDE_UNKNOWN_SCHEMA',
        `${file.name} is not registered under subject "${subject}"${this.#autoRegister ? '' : ' and autoRegister is off: register it first (e.g. in CI), or pass autoRegister: true'}`,
        { context: contextOf(ctx, { subject, registry: registry.url }) },
      )
    }
    return { id: found.id, version: found.version }
  }

  #readerFor(id: number, ctx: SerdeContext): Promise<IndexResolver> {
    return this.#readers.load(id, async () => {
      let registered: { schema: string; schemaType?: string }
      try {
        registered = await (this.registry as SchemaRegistry).getSchemaById(id)
      } catch (error) {
        throw withTopic(error, ctx, { schemaId: id })
      }
      // A writer schema this serde cannot read says nothing bad about the bytes: not poison
      // (KAFKIT_SCHEMA_INCOMPATIBLE, as Avro's unresolvable writer schema; `retryIf` may retry it).
      const type = registered.schemaType ?? 'AVRO'
      if (type !== 'PROTOBUF') {
        throw new KafkitError('KAFKIT_SCHEMA_INCOMPATIBLE', `Data on topic "${ctx.topic}" (${ctx.field}) was written with schema id ${id}, a ${type} schema; this serde reads Protobuf`, { context: contextOf(ctx, { schemaId: id, schemaType: type }) })
      }
      let resolver: IndexResolver
      try {
        resolver = indexResolver(registered.schema)
      } catch (error) {
        throw new KafkitError('KAFKIT_SCHEMA_INCOMPATIBLE', `Data on topic "${ctx.topic}" (${ctx.field}) was written with schema id ${id}, a Protobuf schema this serde cannot read: ${(error as Error).message}`, { cause: error, context: contextOf(ctx, { schemaId: id }) })
      }
      return resolver
    })
  }
}

function decodeError(cause: unknown, ctx: SerdeContext, extra: Record<string, unknown>): KafkitError {
  return new KafkitError('KAFKIT_SERDE_DECODE', `Protobuf decoding failed for topic "${ctx.topic}" (${ctx.field}): ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
    context: contextOf(ctx, extra),
  })
}

/**
 * A {@link ProtobufSerde} without a registry: plain Protobuf bytes, always synchronous.
 */
export type LocalProtobufSerde<TOutput, TInput = TOutput> = Omit<ProtobufSerde<TOutput, TInput>, 'encode' | 'decode'> & {
  encode(value: TInput, ctx: SerdeContext): Buffer
  decode(bytes: Buffer, ctx: SerdeContext): TOutput
}

/** A message as a plain object, when no types were generated: what `protobuf(file, name)` gives. */
export type ProtoObject = Record<string, unknown>

/**
 * A Protobuf serde for a contract's key or value: one message type of a `.proto` file.
 *
 * Types come from `kafkit codegen protobuf`, which writes the file as a {@link ProtoFile}
 * constant, an interface per message (what consumers receive) and an `…Input` interface
 * (what producers send), and a {@link ProtoMessage} that carries both: `protobuf(Payment,
 * { registry })`. Or give them yourself: `protobuf<Payment, PaymentInput>(file, 'shop.Payment')`.
 *
 * Field names are as written in the `.proto`. Consumers get 64-bit integers as decimal
 * strings, enums by name, bytes as `Buffer`, every scalar field (its default when unset)
 * and sub-messages only when set.
 *
 * @example
 * ```ts
 * const registry = new SchemaRegistry({ url: process.env.SCHEMA_REGISTRY_URL! })
 * const payments = defineTopic({ name: 'payments', key: string(), value: protobuf(Payment, { registry }) })
 * ```
 * @throws KafkitError `KAFKIT_CONFIG` when the file does not parse or does not declare the message
 */
export function protobuf<O, I>(message: ProtoMessage<O, I>, options?: ProtobufOptions & { registry?: undefined }): LocalProtobufSerde<O, I>
export function protobuf<O, I>(message: ProtoMessage<O, I>, options: ProtobufOptions): ProtobufSerde<O, I>
export function protobuf<O = ProtoObject, I = O>(file: ProtoFile, messageName: string, options?: ProtobufOptions & { registry?: undefined }): LocalProtobufSerde<O, I>
export function protobuf<O = ProtoObject, I = O>(file: ProtoFile, messageName: string, options: ProtobufOptions): ProtobufSerde<O, I>
export function protobuf(
  first: ProtoFile | ProtoMessage<unknown, unknown>,
  second?: string | ProtobufOptions,
  third?: ProtobufOptions,
): ProtobufSerde<unknown, unknown> | LocalProtobufSerde<unknown, unknown> {
  if (typeof second === 'string') return new ProtobufSerde(first as ProtoFile, second, third)
  const message = first as ProtoMessage<unknown, unknown>
  if (!message || typeof message.messageName !== 'string' || !message.file) {
    throw new KafkitError('KAFKIT_CONFIG', 'protobuf: give a generated message (protobuf(Payment)) or a file and a message name (protobuf(file, "shop.Payment"))')
  }
  return new ProtobufSerde(message.file, message.messageName, second)
}
