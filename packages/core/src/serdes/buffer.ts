import { KafkitError } from '../errors.js'
import type { Serde, SerdeContext } from '../serde.js'
import { describe } from './string.js'

/**
 * Raw bytes, passed through untouched: for payloads kafkit should not interpret
 * (encrypted blobs, a format you decode yourself). Encoding accepts any `Uint8Array`.
 */
export function buffer(): Serde<Buffer, Uint8Array> {
  return bufferSerde
}

const bufferSerde: Serde<Buffer, Uint8Array> = {
  format: 'buffer',
  encode(value: Uint8Array, context: SerdeContext): Buffer {
    if (Buffer.isBuffer(value)) return value
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    throw new KafkitError('KAFKIT_VALIDATION', `${context.topic} ${context.field}: expected a Buffer or Uint8Array, got ${describe(value)}`, {
      context: { topic: context.topic, field: context.field },
      issues: [{ path: [], message: `expected a Buffer or Uint8Array, got ${describe(value)}`, code: 'invalid_type' }],
    })
  },
  decode(bytes: Buffer): Buffer {
    return bytes
  },
}
