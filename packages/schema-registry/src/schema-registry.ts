import { KafkitError, type RegistrySchema, type SchemaReference, type SchemaRegistryPort, type SchemaType } from '@kafkit/core'
import { type HttpTarget, type RegistryFailure, redact, registryError, request } from './internal/registry-http.js'

/** Options of {@link SchemaRegistry}. */
export interface SchemaRegistryOptions {
  /**
   * Base URL of the Confluent-compatible API, path prefix included: `http://host:8081` for
   * Confluent or Karapace, `http://host:8080/apis/ccompat/v7` for Apicurio. Credentials in
   * the URL (`https://user:secret@host`) become HTTP basic auth.
   */
  url: string
  /**
   * HTTP basic auth (Confluent Cloud: API key and secret). Credentials the registry refuses
   * (HTTP 401/403) fail each call with a retriable `KAFKIT_REGISTRY` whose `context.reason` is
   * `'credentials'`: a consumer holds its partitions until they are fixed.
   */
  auth?: { username: string; password: string }
  /** Extra headers on every request, e.g. a bearer token. */
  headers?: Record<string, string>
  /**
   * Abort one HTTP request after this long; the call then fails with a retriable `KAFKIT_REGISTRY`.
   * @default 10_000
   */
  requestTimeoutMs?: number
}

/** A subject's compatibility rule, as the Confluent API names it. */
export type CompatibilityLevel =
  | 'NONE'
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'

/** The verdict of {@link SchemaRegistry.checkCompatibility}. */
export interface CompatibilityResult {
  /** True when the registry would accept the schema as the subject's next version. */
  compatible: boolean
  /** False when the subject has no version yet (then any schema is compatible). */
  subjectExists: boolean
  /** The registry's reasons, when it gives any (Confluent `messages`, Apicurio `reason`). */
  messages: string[]
}

/** A schema as the registry stores it: its text, its type and the schemas it references. */
export interface RegisteredSchema {
  /** The schema text: Avro or JSON Schema as JSON, Protobuf as `.proto` source. */
  schema: string
  /** `AVRO` when the registry leaves it out (the Confluent API's default). */
  schemaType: SchemaType
  /** Other subjects' versions this schema imports (Protobuf imports, JSON Schema `$ref`s, Avro named types). */
  references: SchemaReference[]
}

/** One version of a subject. */
export interface SubjectVersion extends RegisteredSchema {
  id: number
  version: number
  subject: string
}

/**
 * A schema as an object (parsed JSON) or as JSON text: an Avro schema, with no other
 * information. For Protobuf, JSON Schema or references, pass a {@link RegistrySchema}.
 */
export type SchemaText = string | object

/** What the registry calls take: Avro as text or object, or any schema with its type and references. */
export type SchemaInput = SchemaText | RegistrySchema

// Codes shared by Confluent, Karapace and Apicurio's ccompat API.
const SUBJECT_NOT_FOUND = 40401
const VERSION_NOT_FOUND = 40402
const SCHEMA_NOT_FOUND = 40403
const NO_SUBJECT_CONFIG = 40408

/**
 * A client of a Confluent-compatible schema registry (Confluent, Karapace, Apicurio's
 * `ccompat/v7`, Redpanda) for Avro, Protobuf and JSON Schema, with references, and caches: a schema id is fetched once, a subject+schema pair
 * is registered or looked up once per process. Share one instance between serdes.
 *
 * It talks HTTP itself (Node's `fetch`) rather than through
 * `@kafkajs/confluent-schema-registry`, whose `register` reads and rewrites the subject's
 * compatibility (and fails when ops set it to anything but the level it was given), has no
 * compatibility-check call, and reports a refused connection as HTTP 400, so a registry
 * outage could not be told from a bad request. Bytes stay interchangeable with that library
 * (tested).
 *
 * @example
 * ```ts
 * const registry = new SchemaRegistry({ url: process.env.SCHEMA_REGISTRY_URL! })
 * const verdict = await registry.checkCompatibility('payments-value', nextSchema)
 * ```
 */
export class SchemaRegistry implements SchemaRegistryPort {
  /** The base URL, without credentials. */
  readonly url: string
  readonly #target: HttpTarget
  readonly #schemasById = new Map<number, Promise<RegisteredSchema>>()
  readonly #idsBySubjectSchema = new Map<string, Promise<number>>()

  constructor(options: SchemaRegistryOptions) {
    if (typeof options?.url !== 'string' || !/^https?:\/\//.test(options.url)) {
      throw new KafkitError('KAFKIT_CONFIG', `SchemaRegistry: url must be an http(s) URL, got ${shown(options?.url)}`)
    }
    const requestTimeoutMs = options.requestTimeoutMs ?? 10_000
    if (!(requestTimeoutMs > 0)) throw new KafkitError('KAFKIT_CONFIG', `SchemaRegistry: requestTimeoutMs must be > 0, got ${requestTimeoutMs}`)
    // No `cause`: URL's TypeError carries the raw input (credentials included) in `input`.
    const invalid = () => new KafkitError('KAFKIT_CONFIG', `SchemaRegistry: url is not a valid URL: ${shown(options.url)}`)
    let parsed: URL
    let fromUrl: { username: string; password: string } | undefined
    try {
      parsed = new URL(options.url)
      fromUrl = parsed.username ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined
    } catch {
      throw invalid()
    }
    const headers: Record<string, string> = { ...options.headers }
    const user = options.auth ?? fromUrl
    if (user) headers['authorization'] = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`
    parsed.username = ''
    parsed.password = ''
    const baseUrl = parsed.toString().replace(/\/+$/, '')
    this.url = baseUrl
    this.#target = { baseUrl, headers, requestTimeoutMs }
  }

  /**
   * Registers `schema` under `subject` (idempotent: an identical schema returns its existing id).
   * A string or plain object is an Avro schema; give `{ schema, schemaType, references }` for
   * Protobuf or JSON Schema, or for a schema that references others.
   * @throws KafkitError `KAFKIT_SCHEMA_INCOMPATIBLE` when the subject's compatibility rule refuses it
   *   (HTTP 409), `KAFKIT_REGISTRY` otherwise: retriable when the registry is down or answers
   *   408/429/5xx, and when it refuses the credentials (401/403: `context.reason: 'credentials'`,
   *   a message naming the URL and status that says to check the registry credentials)
   */
  register(subject: string, schema: SchemaInput): Promise<number> {
    const body = toBody(schema)
    return this.#memo(`r\0${subject}\0${JSON.stringify(body)}`, async () => {
      const result = await request<{ id: number }>(this.#target, 'POST', `/subjects/${enc(subject)}/versions`, body)
      if (result.ok) return result.value.id
      const { failure } = result
      if (failure.status === 409) {
        throw new KafkitError('KAFKIT_SCHEMA_INCOMPATIBLE', `Schema refused for subject "${subject}": ${cleanReason(failure.message)}`, {
          context: { subject, registry: this.url },
        })
      }
      throw registryError(`register a schema under subject "${subject}"`, failure, { subject, registry: this.url })
    })
  }

  /**
   * The id of `schema` if it is registered under `subject`, else `undefined`. Never registers.
   * @throws KafkitError `KAFKIT_REGISTRY` when the registry fails
   */
  async lookup(subject: string, schema: SchemaInput): Promise<number | undefined> {
    const body = toBody(schema)
    try {
      return await this.#memo(`l\0${subject}\0${JSON.stringify(body)}`, async () => {
        const result = await request<{ id: number }>(this.#target, 'POST', `/subjects/${enc(subject)}`, body)
        if (result.ok) return result.value.id
        if (result.failure.status === 404) throw new NotFound()
        throw registryError(`look up a schema under subject "${subject}"`, result.failure, { subject, registry: this.url })
      })
    } catch (error) {
      if (error instanceof NotFound) return undefined
      throw error
    }
  }

  /**
   * The version of `subject` that holds `schema` (id, version and the stored text), or
   * `undefined` when it is not registered there. Never registers. What a reference to a
   * registered schema needs: its subject and version.
   * @throws KafkitError `KAFKIT_REGISTRY` when the registry fails
   */
  async lookupVersion(subject: string, schema: SchemaInput): Promise<SubjectVersion | undefined> {
    const result = await request<RawSchema & { id: number; version: number; subject?: string }>(this.#target, 'POST', `/subjects/${enc(subject)}`, toBody(schema))
    if (result.ok) return { id: result.value.id, version: result.value.version, subject: result.value.subject ?? subject, ...registered(result.value) }
    if (result.failure.status === 404) return undefined
    throw registryError(`look up a schema under subject "${subject}"`, result.failure, { subject, registry: this.url })
  }

  /**
   * The schema text with this id. Cached for the life of the instance: ids are immutable.
   * @throws KafkitError `KAFKIT_SERDE_UNKNOWN_SCHEMA` (not retriable) when the registry has no such id
   */
  async getSchema(id: number): Promise<string> {
    return (await this.getSchemaById(id)).schema
  }

  /**
   * The schema with this id, with its type and references. Cached like {@link getSchema}.
   * @throws KafkitError `KAFKIT_SERDE_UNKNOWN_SCHEMA` (not retriable) when the registry has no such id
   */
  getSchemaById(id: number): Promise<RegisteredSchema> {
    let pending = this.#schemasById.get(id)
    if (!pending) {
      pending = (async () => {
        const result = await request<RawSchema>(this.#target, 'GET', `/schemas/ids/${id}`)
        if (result.ok) return registered(result.value)
        if (result.failure.status === 404) {
          throw new KafkitError('KAFKIT_SERDE_UNKNOWN_SCHEMA', `Schema id ${id} is unknown to the registry ${this.url}`, {
            context: { schemaId: id, registry: this.url },
          })
        }
        throw registryError(`fetch schema id ${id}`, result.failure, { schemaId: id, registry: this.url })
      })()
      this.#schemasById.set(id, pending)
      // Failures are not cached: the next message asks again.
      pending.catch(() => this.#schemasById.delete(id))
    }
    return pending
  }

  /**
   * One version of `subject` (`'latest'` for the newest), or `undefined` when there is none.
   * Used to resolve {@link SchemaReference}s, which name a subject and a version.
   */
  async getVersion(subject: string, version: number | 'latest'): Promise<SubjectVersion | undefined> {
    const result = await request<RawSchema & { id: number; version: number; subject?: string }>(this.#target, 'GET', `/subjects/${enc(subject)}/versions/${version}`)
    if (result.ok) return { id: result.value.id, version: result.value.version, subject: result.value.subject ?? subject, ...registered(result.value) }
    if (isMissing(result.failure)) return undefined
    throw registryError(`read version ${version} of subject "${subject}"`, result.failure, { subject, registry: this.url })
  }

  /** The latest version of `subject`, or `undefined` when it has none. */
  latest(subject: string): Promise<SubjectVersion | undefined> {
    return this.getVersion(subject, 'latest')
  }

  /**
   * The subject's own compatibility level, or `undefined` when it has none (then the global
   * level applies). Apicurio answers with the global level for an existing subject without
   * its own rule, and 404 for an unknown subject; Confluent answers 404 (40401/40408) for both.
   */
  async getCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    const result = await request<{ compatibilityLevel?: CompatibilityLevel; compatibility?: CompatibilityLevel }>(this.#target, 'GET', `/config/${enc(subject)}`)
    if (result.ok) return result.value.compatibilityLevel ?? result.value.compatibility
    if (isMissing(result.failure)) return undefined
    throw registryError(`read the compatibility of subject "${subject}"`, result.failure, { subject, registry: this.url })
  }

  /** Sets the subject's compatibility level (works before its first version on both registries). */
  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    const result = await request(this.#target, 'PUT', `/config/${enc(subject)}`, { compatibility: level })
    if (!result.ok) throw registryError(`set the compatibility of subject "${subject}" to ${level}`, result.failure, { subject, registry: this.url })
  }

  /**
   * Asks the registry whether `schema` may become the next version of `subject` under the
   * subject's compatibility rule (the registry decides, so `*_TRANSITIVE` rules are honoured).
   * A subject without versions accepts anything: `{ compatible: true, subjectExists: false }`.
   */
  async checkCompatibility(subject: string, schema: SchemaInput): Promise<CompatibilityResult> {
    const result = await request<{ is_compatible: boolean; messages?: unknown; reason?: unknown }>(
      this.#target,
      'POST',
      `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`,
      toBody(schema),
    )
    if (result.ok) {
      const { is_compatible: compatible, messages, reason } = result.value
      const list = Array.isArray(messages) ? messages.map(String) : typeof reason === 'string' && reason ? [cleanReason(reason)] : []
      return { compatible: compatible === true, subjectExists: true, messages: list }
    }
    if (isMissing(result.failure)) return { compatible: true, subjectExists: false, messages: [] }
    throw registryError(`check compatibility for subject "${subject}"`, result.failure, { subject, registry: this.url })
  }

  #memo(key: string, load: () => Promise<number>): Promise<number> {
    let pending = this.#idsBySubjectSchema.get(key)
    if (!pending) {
      pending = load()
      this.#idsBySubjectSchema.set(key, pending)
      pending.catch(() => this.#idsBySubjectSchema.delete(key))
    }
    return pending
  }

  /** @internal for messages */
  toString(): string {
    return `SchemaRegistry(${redact(this.url)})`
  }
}

class NotFound extends Error {}

function isMissing(failure: RegistryFailure): boolean {
  return failure.status === 404 && failure.errorCode !== undefined && [SUBJECT_NOT_FOUND, VERSION_NOT_FOUND, SCHEMA_NOT_FOUND, NO_SUBJECT_CONFIG].includes(failure.errorCode)
}

/** A url option for a message: credentials masked, a non-string named by its type only. */
function shown(url: unknown): string {
  if (typeof url === 'string') return JSON.stringify(redact(url))
  if (url instanceof URL) return JSON.stringify(redact(url.href))
  return url === null ? 'null' : typeof url
}

interface RawSchema {
  schema: string
  schemaType?: string
  references?: { name: string; subject: string; version: number }[]
}

function registered(raw: RawSchema): RegisteredSchema {
  return {
    schema: raw.schema,
    schemaType: (raw.schemaType ?? 'AVRO') as SchemaType,
    references: (raw.references ?? []).map(({ name, subject, version }) => ({ name, subject, version })),
  }
}

/** A plain object is an Avro schema unless it is `{ schema: string, … }` without an Avro `type`. */
function isRegistrySchema(schema: SchemaInput): schema is RegistrySchema {
  return typeof schema === 'object' && schema !== null && typeof (schema as RegistrySchema).schema === 'string' && !('type' in schema)
}

/** The request body: `schemaType` left out for Avro and `references` when empty, as the Java client sends them. */
function toBody(schema: SchemaInput): { schema: string; schemaType?: SchemaType; references?: SchemaReference[] } {
  if (!isRegistrySchema(schema)) return { schema: typeof schema === 'string' ? schema : JSON.stringify(schema) }
  const body: { schema: string; schemaType?: SchemaType; references?: SchemaReference[] } = { schema: schema.schema }
  if (schema.schemaType && schema.schemaType !== 'AVRO') body.schemaType = schema.schemaType
  if (schema.references && schema.references.length > 0) body.references = schema.references.map(({ name, subject, version }) => ({ name, subject, version }))
  return body
}

function enc(subject: string): string {
  return encodeURIComponent(subject)
}

/** Apicurio prefixes its reasons with the Java exception class; users need the sentence only. */
function cleanReason(message: string): string {
  return message.replace(/^[\w.$]+Exception:\s*/, '')
}
