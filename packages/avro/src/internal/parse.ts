import avsc from 'avsc'
import { KafkitError } from '@kafkit/core'
import { logicalTypes } from './logical-types.js'

/**
 * Parses an Avro schema (object or JSON text) into an avsc type with kafkit's logical types.
 * Unions stay unwrapped where avsc can tell the branches apart (`wrapUnions: 'auto'`).
 */
export function parseSchema(schema: unknown, context: Record<string, unknown> = {}): avsc.Type {
  try {
    const value = typeof schema === 'string' && schema.trimStart().match(/^[[{"]/) ? JSON.parse(schema) : schema
    return avsc.Type.forSchema(value as avsc.Schema, { logicalTypes, wrapUnions: 'auto' })
  } catch (error) {
    throw new KafkitError('KAFKIT_CONFIG', `Invalid Avro schema: ${(error as Error).message}`, { cause: error, context })
  }
}

/** The full name of a named schema (record, enum, fixed), for the RecordName strategies. */
export function fullName(type: avsc.Type): string | undefined {
  return type.name ?? (type as { underlyingType?: avsc.Type }).underlyingType?.name
}
