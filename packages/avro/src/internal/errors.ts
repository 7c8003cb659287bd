import type avsc from 'avsc'
import { KafkitError, type KafkitIssue, type SerdeContext } from '@kafkit/core'
import { contextOf } from '@kafkit/schema-registry'


/**
 * Turns an avsc write failure into `KAFKIT_VALIDATION` with one issue per invalid path
 * (found by re-walking the value, only on this error path), or `KAFKIT_SERDE_ENCODE` when
 * the value is valid and encoding failed anyway.
 */
export function encodeError(type: avsc.Type, value: unknown, cause: unknown, ctx: SerdeContext, extra?: Record<string, unknown>): KafkitError {
  const issues: KafkitIssue[] = []
  type.isValid(value, {
    errorHook: (path: string[], invalid: unknown, expected: avsc.Type) => {
      issues.push({ path: [...path], message: `expected ${describe(expected)}, got ${show(invalid)}`, code: 'avro_type' })
    },
  })
  const context = contextOf(ctx, extra)
  if (issues.length === 0) {
    return new KafkitError('KAFKIT_SERDE_ENCODE', `Avro encoding failed for topic "${ctx.topic}" (${ctx.field}): ${(cause as Error)?.message ?? String(cause)}`, { cause, context })
  }
  const where = issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ')
  return new KafkitError('KAFKIT_VALIDATION', `${ctx.field} for topic "${ctx.topic}" does not fit its Avro schema: ${where}`, { cause, context, issues })
}

/** `KAFKIT_SERDE_DECODE` for a body the schema cannot read. */
export function decodeError(cause: unknown, ctx: SerdeContext, extra?: Record<string, unknown>): KafkitError {
  return new KafkitError('KAFKIT_SERDE_DECODE', `Avro decoding failed for topic "${ctx.topic}" (${ctx.field}): ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
    context: contextOf(ctx, extra),
  })
}

function describe(type: avsc.Type): string {
  const logical = (type as { _logicalTypeName?: string })._logicalTypeName
  if (logical) return logical
  return type.name ?? type.typeName
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined (missing)'
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`
  if (Buffer.isBuffer(value)) return `Buffer(${value.length})`
  try {
    const text = JSON.stringify(value)
    return text.length > 80 ? `${text.slice(0, 77)}...` : text
  } catch {
    return typeof value
  }
}
