/** What a serde knows about the bytes it handles. */
export interface SerdeContext {
  /** The topic the bytes go to or come from. */
  readonly topic: string
  /** Which part of the record. */
  readonly field: 'key' | 'value' | 'headers'
  /** Set when decoding a consumed record. */
  readonly partition?: number
  /** Set when decoding a consumed record. */
  readonly offset?: string
}

/**
 * Turns values of one type into bytes and back. Implement it for a format kafkit lacks.
 *
 * `TOutput` is what decoding yields (and consumers receive); `TInput` is what encoding
 * accepts (and producers send). They differ when validation transforms, e.g. zod's
 * `z.coerce.date()` accepts a string and yields a `Date`.
 *
 * Return plain values where no I/O is needed: the producer and consumer only await a
 * Promise when one is returned, so synchronous serdes cost no extra tick per message.
 * Throw a `KafkitError` (`KAFKIT_VALIDATION`, `KAFKIT_SERDE_DECODE`…) for bad input, so
 * the consumer knows not to retry it.
 */
export interface Serde<TOutput, TInput = TOutput> {
  /** A short name for errors and docs, e.g. `json`, `avro`, `string`. */
  readonly format: string
  encode(value: TInput, context: SerdeContext): Buffer | Promise<Buffer>
  /**
   * A serde whose `decode` is declared with the bytes alone (`decode(bytes)`) is taken not to
   * read its context: the consumer then passes the field's context without the record's
   * partition and offset (which its own failures still get). Declare the second parameter to
   * receive them.
   */
  decode(bytes: Buffer, context: SerdeContext): TOutput | Promise<TOutput>
}

/** The type a serde decodes to. */
export type SerdeOutput<S> = S extends Serde<infer O, any> ? O : never
/** The type a serde encodes from. */
export type SerdeInput<S> = S extends Serde<any, infer I> ? I : never

/** The schema formats of a Confluent-compatible schema registry. */
export type SchemaType = 'AVRO' | 'PROTOBUF' | 'JSON'

/** A schema another one imports: the registry resolves it by subject and version. */
export interface SchemaReference {
  /** The name the importing schema uses: a `.proto` import path, a JSON Schema `$ref` URL, an Avro full name. */
  readonly name: string
  readonly subject: string
  readonly version: number
}

/** A schema to register or look up, with its type and references. */
export interface RegistrySchema {
  /** The schema text: Avro or JSON Schema as JSON, Protobuf as `.proto` source. */
  readonly schema: string
  /** @default 'AVRO' */
  readonly schemaType?: SchemaType
  readonly references?: readonly SchemaReference[]
}

/**
 * What a registry-backed serde needs of a schema registry. `SchemaRegistry` from
 * `@kafkit/schema-registry` (re-exported by `@kafkit/avro` and `@kafkit/protobuf`) implements
 * it; core defines only the port so that it depends on no registry client.
 */
export interface SchemaRegistryPort {
  /** The registry's base URL, without credentials (for messages). */
  readonly url: string
  /**
   * Registers the schema under the subject (idempotent) and returns its id.
   * @throws KafkitError `KAFKIT_SCHEMA_INCOMPATIBLE` when the subject's compatibility rule refuses it
   */
  register(subject: string, schema: RegistrySchema): Promise<number>
  /** The id of the schema under the subject, or `undefined` when it is not registered there. */
  lookup(subject: string, schema: RegistrySchema): Promise<number | undefined>
  /**
   * The schema text with this id.
   * @throws KafkitError `KAFKIT_SERDE_UNKNOWN_SCHEMA` when the registry has no such id
   */
  getSchema(id: number): Promise<string>
}

/** What a {@link SubjectStrategy} gets to name a subject. */
export interface SubjectInput {
  /** The topic the bytes go to. */
  topic: string
  /** `key` or `value` (or `headers`). */
  field: 'key' | 'value' | 'headers'
  /**
   * The schema's full name when it has one: an Avro `namespace.Name`, a Protobuf
   * `package.Message`, a JSON Schema's `title`.
   */
  recordName: string | undefined
}

/**
 * Names the registry subject a schema is registered and looked up under. The three
 * strategies of the Java client are in `@kafkit/schema-registry`; a custom one is any function.
 */
export type SubjectStrategy = (input: SubjectInput) => string
