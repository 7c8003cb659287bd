import { z } from 'zod'
import { KafkitError } from '../errors.js'
import type { Serde, SerdeContext } from '../serde.js'
import { formatIssues, fromZodIssues } from '../internal/issues.js'

/** Options of {@link json}. */
export interface JsonSerdeOptions {
  /**
   * Validate consumed values with the schema too. Turn off only for trusted topics where
   * the cost matters: the consumer then gets the parsed JSON unchecked (and untransformed).
   * @default true
   */
  validateOnDecode?: boolean
}

/**
 * JSON validated by a zod 4 schema, on encode (nothing invalid is sent) and on decode
 * (nothing invalid reaches a handler). Producers send the schema's input type, consumers
 * receive its output type: with `z.coerce.date()` a producer may pass a `Date` or an ISO
 * string and a consumer always gets a `Date`.
 *
 * What goes on the wire is the schema's parsed output, so unknown object keys are
 * stripped (zod's default). The output must therefore parse again as input: a schema whose
 * `.transform()` changes the shape (e.g. string to length) cannot round-trip; put such
 * transforms in the consumer instead.
 *
 * Zod schemas with async refinements work; their encode and decode return a Promise.
 *
 * @example
 * ```ts
 * const Activity = z.object({ userId: z.string(), at: z.coerce.date() })
 * defineTopic({ name: 'user-activity', key: string(), value: json(Activity) })
 * ```
 * @throws KafkitError `KAFKIT_VALIDATION` (with the zod issue paths in `issues`) when a
 *   value does not match, `KAFKIT_SERDE_DECODE` for bytes that are not JSON,
 *   `KAFKIT_SERDE_ENCODE` for values JSON cannot represent (e.g. a `bigint`)
 */
export function json<S extends z.core.$ZodType>(schema: S, options: JsonSerdeOptions = {}): Serde<z.output<S>, z.input<S>> {
  const validateOnDecode = options.validateOnDecode ?? true
  return {
    format: 'json',
    encode(value, context) {
      const result = safeParse(schema, value)
      if (result instanceof Promise) return result.then((settled) => stringify(validated(settled, context, 'encode'), context))
      return stringify(validated(result, context, 'encode'), context)
    },
    decode(bytes, context) {
      const parsed = parseJson(bytes, context)
      if (!validateOnDecode) return parsed as z.output<S>
      const result = safeParse(schema, parsed)
      if (result instanceof Promise) return result.then((settled) => validated(settled, context, 'decode') as z.output<S>)
      return validated(result, context, 'decode') as z.output<S>
    },
  }
}

type ParseResult = { success: true; data: unknown } | { success: false; error: z.core.$ZodError }

/** Synchronous parse, falling back to the async one only for schemas that need it. */
function safeParse(schema: z.core.$ZodType, value: unknown): ParseResult | Promise<ParseResult> {
  try {
    return z.safeParse(schema, value) as ParseResult
  } catch (error) {
    if (error instanceof z.core.$ZodAsyncError) return z.safeParseAsync(schema, value) as Promise<ParseResult>
    throw error
  }
}

function validated(result: ParseResult, context: SerdeContext, direction: 'encode' | 'decode'): unknown {
  if (result.success) return result.data
  const issues = fromZodIssues(result.error.issues)
  const where = context.offset === undefined ? context.topic : `${context.topic}[${context.partition}]@${context.offset}`
  throw new KafkitError('KAFKIT_VALIDATION', `${where} ${context.field} ${direction === 'encode' ? 'is not valid' : 'read from Kafka is not valid'}: ${formatIssues(issues)}`, {
    cause: result.error,
    context: contextOf(context),
    issues,
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

function parseJson(bytes: Buffer, context: SerdeContext): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw new KafkitError('KAFKIT_SERDE_DECODE', `${context.topic} ${context.field}: not JSON: ${(error as Error).message}`, {
      cause: error,
      context: contextOf(context),
    })
  }
}

function contextOf(context: SerdeContext) {
  return {
    topic: context.topic,
    field: context.field,
    ...(context.partition === undefined ? {} : { partition: context.partition }),
    ...(context.offset === undefined ? {} : { offset: context.offset }),
  }
}
