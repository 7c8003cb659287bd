import { z } from 'zod'
import { KafkitError } from '../errors.js'
import { formatIssues, fromZodIssues } from './issues.js'

/**
 * Validates options against a zod schema (defaults live in the schema), or throws a
 * `KAFKIT_CONFIG` error naming every bad path, e.g. `producer: acks: …`.
 */
export function parseOptions<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issues = fromZodIssues(result.error.issues)
  throw new KafkitError('KAFKIT_CONFIG', `Invalid ${what} options: ${formatIssues(issues)}`, { issues, cause: result.error })
}

/**
 * A positive whole number of milliseconds, at most 2^31 - 1 (about 24.8 days): what a Node
 * timer can hold (a longer one fires at once) and what Kafka's own millisecond settings
 * (Java ints) allow.
 */
export const ms = () => z.number().int().positive().max(2 ** 31 - 1, 'must be at most 2147483647 ms (about 24.8 days)')
