import protobuf from 'protobufjs'
import type { Field, Message, Type } from 'protobufjs'
import type { KafkitIssue } from '@kafkit/core'

type Long = { low: number; high: number; unsigned: boolean; toString(): string }

const INT32 = new Set(['int32', 'sint32', 'sfixed32'])
const UINT32 = new Set(['uint32', 'fixed32'])
const INT64 = new Set(['int64', 'sint64', 'sfixed64'])
const UINT64 = new Set(['uint64', 'fixed64'])
const FLOATS = new Set(['double', 'float'])
const DECIMAL_INTEGER = /^-?\d+$/
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

/**
 * Checks a producer's value against a message type and returns it in the shape protobufjs'
 * `fromObject` takes (64-bit integers as decimal strings), collecting one issue per bad path.
 * Stricter than `fromObject`, which coerces silently: an unknown field, a string for a
 * number or a fraction for an integer is an issue, as a wrong Avro field is.
 */
export function normalize(type: Type, value: unknown, path: (string | number)[], issues: KafkitIssue[]): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    issues.push({ path, message: `expected a ${type.name} object, got ${show(value)}`, code: 'protobuf_type' })
    return undefined
  }
  const out: Record<string, unknown> = {}
  const oneofsSet = new Map<string, string>()
  for (const [name, item] of Object.entries(value)) {
    const field = type.fields[name]
    if (!field) {
      issues.push({ path: [...path, name], message: `${type.name} has no field "${name}"`, code: 'protobuf_unknown_field' })
      continue
    }
    if (item === undefined || item === null) continue
    const oneof = field.partOf
    if (oneof && !isSyntheticOneof(oneof.name, field)) {
      const other = oneofsSet.get(oneof.name)
      if (other) issues.push({ path: [...path, name], message: `oneof ${oneof.name}: "${other}" is already set`, code: 'protobuf_oneof' })
      oneofsSet.set(oneof.name, name)
    }
    const at = [...path, name]
    if (field.map) {
      if (!isPlainObject(item)) {
        issues.push({ path: at, message: `expected a map (object), got ${show(item)}`, code: 'protobuf_type' })
        continue
      }
      const map: Record<string, unknown> = {}
      for (const [key, entry] of Object.entries(item)) map[key] = single(field, entry, [...at, key], issues)
      out[name] = map
    } else if (field.repeated) {
      if (!Array.isArray(item)) {
        issues.push({ path: at, message: `expected an array, got ${show(item)}`, code: 'protobuf_type' })
        continue
      }
      out[name] = item.map((entry, index) => single(field, entry, [...at, index], issues))
    } else {
      out[name] = single(field, item, at, issues)
    }
  }
  return out
}

/** proto3 `optional` is a oneof of one field named `_<field>`: not a choice between fields. */
function isSyntheticOneof(oneofName: string, field: Field): boolean {
  return oneofName === `_${field.name}` && (field.partOf?.fieldsArray.length ?? 0) === 1
}

function single(field: Field, value: unknown, path: (string | number)[], issues: KafkitIssue[]): unknown {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Type) return normalize(resolved, value, path, issues)
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'string' && value in resolved.values) return value
    // Open enums (proto3): a number outside the declared values is kept, as every runtime does.
    if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) return value
    issues.push({ path, message: `expected one of ${Object.keys(resolved.values).join(', ')}, got ${show(value)}`, code: 'protobuf_enum' })
    return undefined
  }
  const fail = (expected: string) => {
    issues.push({ path, message: `expected ${expected}, got ${show(value)}`, code: 'protobuf_type' })
    return undefined
  }
  const type = field.type
  if (type === 'string') return typeof value === 'string' ? value : fail('a string')
  if (type === 'bool') return typeof value === 'boolean' ? value : fail('a boolean')
  if (type === 'bytes') return value instanceof Uint8Array ? value : fail('a Buffer or Uint8Array')
  if (FLOATS.has(type)) return typeof value === 'number' ? value : fail('a number')
  if (INT32.has(type)) return typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 ? value : fail(`an integer (${type})`)
  if (UINT32.has(type)) return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 2 ** 32 ? value : fail(`an unsigned integer (${type})`)
  if (INT64.has(type) || UINT64.has(type)) {
    const unsigned = UINT64.has(type)
    let big: bigint | undefined
    if (typeof value === 'bigint') big = value
    else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value)
    else if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) big = BigInt(value)
    const inRange = big !== undefined && (unsigned ? big >= 0n && big <= UINT64_MAX : big >= INT64_MIN && big <= INT64_MAX)
    return inRange ? (big as bigint).toString() : fail(`${unsigned ? 'an unsigned ' : 'a '}64-bit integer (${type}): a safe integer number, a bigint or a decimal string`)
  }
  return fail(type)
}

/**
 * A decoded message as a plain object: every scalar, enum, repeated and map field present
 * (proto3 defaults for what the writer left out), a sub-message or oneof member only when
 * set; 64-bit integers as decimal strings, enums by name (a number for a value this schema
 * does not know), bytes as `Buffer`.
 */
export function toPlain(type: Type, message: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const raw = message as unknown as Record<string, unknown>
  for (const field of type.fieldsArray) {
    const name = field.name
    const own = Object.prototype.hasOwnProperty.call(raw, name)
    if (field.partOf && !own) continue
    const value = raw[name]
    if (field.map) {
      const keyType = (field as Field & { keyType: string }).keyType
      const longKeys = INT64.has(keyType) || UINT64.has(keyType)
      const map: Record<string, unknown> = {}
      for (const [key, entry] of Object.entries((value ?? {}) as Record<string, unknown>)) {
        // protobufjs keys a decoded 64-bit map by an 8-character hash of the bits: give the number.
        map[longKeys ? longToString(protobuf.util.LongBits.fromHash(key).toLong(UINT64.has(keyType)), UINT64.has(keyType)) : key] = plainValue(field, entry)
      }
      out[name] = map
    } else if (field.repeated) {
      out[name] = ((value ?? []) as unknown[]).map((entry) => plainValue(field, entry))
    } else if (field.resolvedType instanceof protobuf.Type) {
      if (own && value !== null && value !== undefined) out[name] = toPlain(field.resolvedType, value as Message)
    } else {
      out[name] = plainValue(field, value)
    }
  }
  return out
}

function plainValue(field: Field, value: unknown): unknown {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Type) return toPlain(resolved, value as Message)
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[value as number] ?? value
  if (field.type === 'bytes') return Buffer.isBuffer(value) ? value : Buffer.from((value ?? []) as Uint8Array)
  if (INT64.has(field.type) || UINT64.has(field.type)) return longToString(value, UINT64.has(field.type))
  return value
}

function longToString(value: unknown, unsigned: boolean): string {
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') return value
  const long = value as Long
  // protobufjs reads uint64 as unsigned Longs; a prototype default may be signed zero.
  const asBig = (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0)
  return (unsigned ? asBig : BigInt.asIntN(64, asBig)).toString()
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (typeof value === 'bigint') return `${value}n`
  if (Buffer.isBuffer(value)) return `Buffer(${value.length})`
  try {
    const text = JSON.stringify(value)
    return text.length > 80 ? `${text.slice(0, 77)}...` : text
  } catch {
    return typeof value
  }
}
