import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec'
import { z } from 'zod'
import { KafkitError, type KafkitIssue } from '../errors.js'
import { contextOf, HEADER_BYTES, readSchemaId, withTopic } from './confluent-wire.js'
import type { SchemaRegistryPort, Serde, SerdeContext, SubjectStrategy } from '../serde.js'
import { formatIssues, fromZodIssues } from '../internal/issues.js'

/** Options of {@link json}. */
export interface JsonSerdeOptions {
  /**
   * Validate consumed values with the schema too. Turn off only for trusted topics where
   * the cost matters: the consumer then gets the parsed JSON unchecked (and untransformed).
   * @default true
   */
  validateOnDecode?: boolean
  /**
   * A schema registry (`SchemaRegistry` from `@kafkit/schema-registry`, `@kafkit/avro` or
   * `@kafkit/protobuf`). With it, the schema's JSON Schema form is registered as a `JSON`
   * schema and bytes are in the Confluent wire format (magic byte 0, 4-byte schema id, JSON
   * text), as Java's and Python's JSON Schema serdes write and read them. Without it, plain
   * JSON text.
   */
  registry?: SchemaRegistryPort
  /**
   * Names the subject the JSON Schema is registered under (registry only). `recordName` is
   * the JSON Schema's `title`, when it has one.
   * @default `<topic>-value` / `<topic>-key` (TopicNameStrategy)
   */
  subjectStrategy?: SubjectStrategy
  /**
   * Register the JSON Schema on first use (registry only). `false` is lookup-only: the first
   * encode fails with `KAFKIT_SERDE_UNKNOWN_SCHEMA` naming the subject when it is not registered.
   * @default true
   */
  autoRegister?: boolean
  /**
   * The JSON Schema to register (registry only). By default it is derived from the
   * validator: zod's `z.toJSONSchema` (draft-07, the input side: what may be on the wire;
   * objects closed with `additionalProperties: false`, as kafkit writes no other keys),
   * or a Standard JSON Schema validator's own converter. Give it for a validator that has
   * neither, or to register a hand-written schema.
   */
  jsonSchema?: Record<string, unknown>
}

/** What {@link json} accepts: any Standard Schema validator (zod 4, valibot, arktype…). */
export type JsonValidator = StandardSchemaV1

/**
 * JSON validated by a schema, on encode (nothing invalid is sent) and on decode (nothing
 * invalid reaches a handler). The schema is zod 4 (the documented default) or any validator
 * implementing [Standard Schema](https://standardschema.dev) (valibot, arktype…). Producers
 * send the schema's input type, consumers receive its output type: with `z.coerce.date()` a
 * producer may pass a `Date` or an ISO string and a consumer always gets a `Date`.
 *
 * What goes on the wire is the schema's parsed output, so unknown object keys are
 * stripped (zod's default). The output must therefore parse again as input: a schema whose
 * `.transform()` changes the shape (e.g. string to length) cannot round-trip; put such
 * transforms in the consumer instead.
 *
 * Schemas with async refinements work; their encode and decode return a Promise. With a
 * `registry`, the first encode per subject and the first decode of an unseen schema id do too.
 *
 * @example
 * ```ts
 * const Activity = z.object({ userId: z.string(), at: z.coerce.date() })
 * defineTopic({ name: 'user-activity', key: string(), value: json(Activity) })
 * // with the registry: a JSON Schema subject, Confluent wire format
 * defineTopic({ name: 'user-activity', key: string(), value: json(Activity, { registry }) })
 * ```
 * @throws KafkitError `KAFKIT_VALIDATION` (with the issue paths in `issues`) when a value
 *   does not match, `KAFKIT_SERDE_DECODE` for bytes that are not JSON,
 *   `KAFKIT_SERDE_ENCODE` for values JSON cannot represent (e.g. a `bigint`); with a registry
 *   also `KAFKIT_SERDE_MAGIC_BYTE`, `KAFKIT_SERDE_UNKNOWN_SCHEMA`, `KAFKIT_SCHEMA_INCOMPATIBLE`
 *   and `KAFKIT_REGISTRY`
 */
export function json<S extends JsonValidator>(schema: S, options: JsonSerdeOptions = {}): Serde<StandardSchemaV1.InferOutput<S>, StandardSchemaV1.InferInput<S>> {
  type Out = StandardSchemaV1.InferOutput<S>
  type In = StandardSchemaV1.InferInput<S>
  if (typeof schema !== 'object' || schema === null || typeof (schema as Partial<StandardSchemaV1>)['~standard']?.validate !== 'function') {
    throw new KafkitError('KAFKIT_CONFIG', 'json: the schema must be a zod schema or another Standard Schema validator (it has no ~standard.validate)')
  }
  const validateOnDecode = options.validateOnDecode ?? true
  const check = validatorOf(schema)
  if (!options.registry) {
    return {
      format: 'json',
      // Once per record: no closure unless the validator is async.
      encode(value, context) {
        const result = check(value)
        if (result instanceof Promise) return result.then((settled) => stringify(validated(settled, context, 'encode'), context))
        return stringify(validated(result, context, 'encode'), context)
      },
      decode(bytes, context) {
        const parsed = parseJson(bytes, 0, context)
        if (!validateOnDecode) return parsed as Out
        const result = check(parsed)
        if (result instanceof Promise) return result.then((settled) => validated(settled, context, 'decode') as Out)
        return validated(result, context, 'decode') as Out
      },
    } satisfies Serde<Out, In>
  }
  const framing = new RegistryFraming(schema, options.registry, options)
  return {
    format: 'json',
    encode(value, context) {
      const header = framing.writerHeader(context)
      const body = (result: CheckResult) => stringify(validated(result, context, 'encode'), context)
      if (header instanceof Promise) return Promise.all([header, check(value)]).then(([prefix, result]) => Buffer.concat([prefix, body(result)]))
      return then(check(value), (result) => Buffer.concat([header, body(result)]))
    },
    decode(bytes, context) {
      const known = framing.reader(bytes, context)
      const read = () => {
        const parsed = parseJson(bytes, HEADER_BYTES, context)
        if (!validateOnDecode) return parsed as Out
        return then(check(parsed), (result) => validated(result, context, 'decode') as Out)
      }
      return known instanceof Promise ? known.then(read) : read()
    },
  } satisfies Serde<Out, In>
}


/** The registry side of a registry-backed JSON serde: schema ids per subject, known ids. */
class RegistryFraming {
  readonly #validator: StandardSchemaV1
  readonly #registry: SchemaRegistryPort
  readonly #strategy: SubjectStrategy
  readonly #autoRegister: boolean
  readonly #given: Record<string, unknown> | undefined
  #text: string | undefined
  readonly #headers = new Map<string, Buffer>()
  readonly #pendingHeaders = new Map<string, Promise<Buffer>>()
  readonly #knownIds = new Set<number>()
  readonly #pendingIds = new Map<number, Promise<void>>()

  constructor(validator: StandardSchemaV1, registry: SchemaRegistryPort, options: JsonSerdeOptions) {
    this.#validator = validator
    this.#registry = registry
    this.#strategy = options.subjectStrategy ?? (({ topic, field }) => `${topic}-${field}`)
    this.#autoRegister = options.autoRegister ?? true
    this.#given = options.jsonSchema
    if (typeof this.#strategy !== 'function') throw new KafkitError('KAFKIT_CONFIG', 'json: subjectStrategy must be a function')
  }

  /** The JSON Schema text, made once on first use (not at contract definition). */
  #schemaText(): { text: string; title: string | undefined } {
    if (this.#text === undefined) this.#text = JSON.stringify(this.#given ?? jsonSchemaOf(this.#validator))
    const title = (JSON.parse(this.#text) as { title?: unknown }).title
    return { text: this.#text, title: typeof title === 'string' ? title : undefined }
  }

  writerHeader(ctx: SerdeContext): Buffer | Promise<Buffer> {
    const key = `${ctx.field}\0${ctx.topic}`
    const header = this.#headers.get(key)
    if (header) return header
    let pending = this.#pendingHeaders.get(key)
    if (!pending) {
      pending = (async () => {
        const { text, title } = this.#schemaText()
        const subject = this.#strategy({ topic: ctx.topic, field: ctx.field, recordName: title })
        const schema = { schema: text, schemaType: 'JSON' as const }
        let id: number | undefined
        try {
          id = this.#autoRegister ? await this.#registry.register(subject, schema) : await this.#registry.lookup(subject, schema)
        } catch (error) {
          throw withTopic(error, ctx, { subject })
        }
        if (id === undefined) {
          throw new KafkitError(
            'KAFKIT_SERDE_UNKNOWN_SCHEMA',
            `The JSON Schema is not registered under subject "${subject}" and autoRegister is off: register it first (e.g. in CI), or pass autoRegister: true`,
            { context: { ...contextOf(ctx), subject, registry: this.#registry.url } },
          )
        }
        const built = Buffer.alloc(HEADER_BYTES)
        built.writeInt32BE(id, 1)
        this.#headers.set(key, built)
        this.#knownIds.add(id)
        return built
      })()
      this.#pendingHeaders.set(key, pending)
      const clear = () => this.#pendingHeaders.delete(key)
      pending.then(clear, clear)
    }
    return pending
  }

  /** Checks the header; resolves once the id is known to the registry (poison otherwise). */
  reader(bytes: Buffer, ctx: SerdeContext): void | Promise<void> {
    const id = readSchemaId(bytes, ctx)
    if (this.#knownIds.has(id)) return
    let pending = this.#pendingIds.get(id)
    if (!pending) {
      pending = (async () => {
        try {
          await this.#registry.getSchema(id)
        } catch (error) {
          throw withTopic(error, ctx, { schemaId: id })
        }
        this.#knownIds.add(id)
      })()
      this.#pendingIds.set(id, pending)
      const clear = () => this.#pendingIds.delete(id)
      pending.then(clear, clear)
    }
    return pending
  }
}

/** The JSON Schema of a validator: zod's own converter, else the Standard JSON Schema one. */
function jsonSchemaOf(validator: StandardSchemaV1): Record<string, unknown> {
  try {
    if (isZod(validator)) {
      return z.toJSONSchema(validator, {
        target: 'draft-7',
        io: 'input',
        unrepresentable: 'any',
        // A z.object() writes only its own keys (unknown ones are stripped before the wire), so
        // the wire has a closed content model: say so. It also makes "add a field with a
        // default" backward compatible, as registries judge open models stricter. Not inside
        // allOf (z.intersection), where two closed halves would refuse every value.
        override: (ctx) => {
          const schema = ctx.jsonSchema as { type?: unknown; additionalProperties?: unknown }
          if (schema.type === 'object' && schema.additionalProperties === undefined && !ctx.path.includes('allOf')) schema.additionalProperties = false
        },
      }) as Record<string, unknown>
    }
    const converter = (validator as unknown as Partial<StandardJSONSchemaV1>)['~standard']?.jsonSchema
    if (converter) return converter.input({ target: 'draft-07' })
  } catch (error) {
    throw new KafkitError('KAFKIT_CONFIG', `json: cannot derive a JSON Schema from the validator: ${(error as Error).message}; pass options.jsonSchema`, { cause: error })
  }
  throw new KafkitError(
    'KAFKIT_CONFIG',
    `json: the ${(validator as StandardSchemaV1)['~standard'].vendor} validator has no JSON Schema converter (Standard JSON Schema); pass options.jsonSchema to register one`,
  )
}

type CheckResult = { success: true; data: unknown } | { success: false; issues: KafkitIssue[]; cause: unknown }

function isZod(schema: unknown): schema is z.core.$ZodType {
  return typeof schema === 'object' && schema !== null && '_zod' in schema
}

/** A synchronous check where the validator allows it, a Promise only where it needs one. */
function validatorOf(schema: StandardSchemaV1): (value: unknown) => CheckResult | Promise<CheckResult> {
  if (isZod(schema)) {
    // zod directly: its own issue codes, and no Standard Schema wrapper per message. zod's
    // success result is already a CheckResult: passed on as it is, not copied.
    const fromZod = (result: z.ZodSafeParseResult<unknown>): CheckResult =>
      result.success ? result : { success: false, issues: fromZodIssues(result.error.issues), cause: result.error }
    return (value) => {
      try {
        return fromZod(z.safeParse(schema, value))
      } catch (error) {
        if (error instanceof z.core.$ZodAsyncError) return z.safeParseAsync(schema, value).then(fromZod)
        throw error
      }
    }
  }
  const standard = schema['~standard']
  const fromStandard = (result: StandardSchemaV1.Result<unknown>): CheckResult =>
    result.issues ? { success: false, issues: fromStandardIssues(result.issues), cause: result.issues } : { success: true, data: result.value }
  return (value) => {
    const result = standard.validate(value)
    return result instanceof Promise ? result.then(fromStandard) : fromStandard(result)
  }
}

function fromStandardIssues(issues: readonly StandardSchemaV1.Issue[]): KafkitIssue[] {
  return issues.map((issue) => ({
    path: (issue.path ?? []).map((segment) => {
      const key = typeof segment === 'object' && segment !== null ? segment.key : segment
      return typeof key === 'symbol' ? String(key.description) : (key as string | number)
    }),
    message: issue.message,
  }))
}

function then<T, R>(value: T | Promise<T>, next: (settled: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value)
}

function validated(result: CheckResult, context: SerdeContext, direction: 'encode' | 'decode'): unknown {
  if (result.success) return result.data
  const where = context.offset === undefined ? context.topic : `${context.topic}[${context.partition}]@${context.offset}`
  throw new KafkitError('KAFKIT_VALIDATION', `${where} ${context.field} ${direction === 'encode' ? 'is not valid' : 'read from Kafka is not valid'}: ${formatIssues(result.issues)}`, {
    cause: result.cause,
    context: contextOf(context),
    issues: result.issues,
  })
}

function stringify(value: unknown, context: SerdeContext): Buffer {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (error) {
    throw new KafkitError('KAFKIT_SERDE_ENCODE', `${context.topic} ${context.field}: cannot be written as JSON: ${(error as Error).message}`, {
      cause: error,
      context: contextOf(context),
    })
  }
  // JSON.stringify returns undefined for undefined, functions and symbols.
  if (text === undefined) {
    throw new KafkitError('KAFKIT_SERDE_ENCODE', `${context.topic} ${context.field}: ${typeof value} cannot be written as JSON`, { context: contextOf(context) })
  }
  return Buffer.from(text, 'utf8')
}

function parseJson(bytes: Buffer, offset: number, context: SerdeContext): unknown {
  try {
    return JSON.parse(bytes.toString('utf8', offset))
  } catch (error) {
    throw new KafkitError('KAFKIT_SERDE_DECODE', `${context.topic} ${context.field}: not JSON: ${(error as Error).message}`, {
      cause: error,
      context: contextOf(context),
    })
  }
}


