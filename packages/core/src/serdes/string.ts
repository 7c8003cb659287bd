import { KafkitError } from '../errors.js'
import type { Serde, SerdeContext } from '../serde.js'

/**
 * UTF-8 text, byte for byte what Java's `StringSerializer` writes. The usual key serde.
 *
 * @example
 * ```ts
 * defineTopic({ name: 'orders', key: string(), value: json(Order) })
 * ```
 */
export function string(): Serde<string> {
  return stringSerde
}

const stringSerde: Serde<string> = {
  format: 'string',
  encode(value: string, context: SerdeContext): Buffer {
    if (typeof value !== 'string') {
      throw new KafkitError('KAFKIT_VALIDATION', `${context.topic} ${context.field}: expected a string, got ${describe(value)}`, {
        context: { topic: context.topic, field: context.field },
        issues: [{ path: [], message: `expected a string, got ${describe(value)}`, code: 'invalid_type' }],
      })
    }
    return Buffer.from(value, 'utf8')
  },
  decode(bytes: Buffer): string {
    return bytes.toString('utf8')
  },
}

/** A short description of a runtime value's type, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (Buffer.isBuffer(value)) return 'Buffer'
  return typeof value
}
