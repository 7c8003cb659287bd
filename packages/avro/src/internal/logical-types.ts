import avsc from 'avsc'

// avsc 5 ships the LogicalType base class but no implementations: these three are ours.
// Each `_resolve` accepts a writer of the same logical type (values already converted) or of
// the bare underlying type (so a reader may add a logical type to a field during evolution).

/** `timestamp-millis` on `long`: a `Date` in JS. */
class TimestampMillisType extends avsc.types.LogicalType {
  constructor(schema: avsc.Schema, opts?: unknown) {
    super(schema, opts)
    // Throwing here makes avsc fall back to the underlying type, as the spec asks.
    if (!avsc.Type.isType(this.underlyingType, 'long')) throw new Error('timestamp-millis needs a long')
  }
  protected override _fromValue(value: number): Date {
    return new Date(value)
  }
  protected override _toValue(value: unknown): number | undefined {
    // Returning undefined makes avsc report the value as invalid (with its path).
    if (value instanceof Date) {
      const ms = value.getTime()
      return Number.isNaN(ms) ? undefined : ms
    }
    return undefined
  }
  protected override _resolve(writer: avsc.Type): ((value: unknown) => unknown) | undefined {
    if (writer instanceof TimestampMillisType) return (value) => value
    if (avsc.Type.isType(writer, 'long', 'int')) return (value) => this._fromValue(value as number)
    return undefined
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** `uuid` on `string`: a string, validated (RFC 4122 text form) on encode. */
class UuidType extends avsc.types.LogicalType {
  constructor(schema: avsc.Schema, opts?: unknown) {
    super(schema, opts)
    if (!avsc.Type.isType(this.underlyingType, 'string')) throw new Error('uuid needs a string')
  }
  protected override _fromValue(value: string): string {
    return value
  }
  protected override _toValue(value: unknown): string | undefined {
    return typeof value === 'string' && UUID.test(value) ? value : undefined
  }
  protected override _resolve(writer: avsc.Type): ((value: unknown) => unknown) | undefined {
    if (writer instanceof UuidType || avsc.Type.isType(writer, 'string')) return (value) => value
    return undefined
  }
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/

/**
 * `decimal` on `bytes` or `fixed`: a string such as `"-12.50"`, always with exactly `scale`
 * fraction digits when decoded. Encoding accepts a string with at most `scale` fraction
 * digits and at most `precision` digits in all; it never rounds.
 */
class DecimalType extends avsc.types.LogicalType {
  readonly precision: number
  readonly scale: number
  readonly #fixedSize: number | undefined

  constructor(schema: { precision?: number; scale?: number; size?: number; type?: unknown }, opts?: unknown) {
    super(schema as avsc.Schema, opts)
    if (!avsc.Type.isType(this.underlyingType, 'bytes', 'fixed')) throw new Error('decimal needs bytes or fixed')
    const precision = schema.precision
    const scale = schema.scale ?? 0
    if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) {
      throw new Error(`decimal: precision must be a positive integer, got ${String(precision)}`)
    }
    if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new Error(`decimal: scale must be an integer in [0, precision], got ${String(scale)}`)
    }
    this.precision = precision
    this.scale = scale
    this.#fixedSize = avsc.Type.isType(this.underlyingType, 'fixed') ? (this.underlyingType as unknown as { size: number }).size : undefined
  }

  protected override _fromValue(bytes: Buffer): string {
    let unscaled = 0n
    for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte)
    // Two's complement: the top bit of the first byte is the sign.
    if (bytes.length > 0 && (bytes[0] as number) & 0x80) unscaled -= 1n << BigInt(bytes.length * 8)
    const negative = unscaled < 0n
    let digits = (negative ? -unscaled : unscaled).toString().padStart(this.scale + 1, '0')
    if (this.scale > 0) digits = `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`
    return negative ? `-${digits}` : digits
  }

  protected override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'string') return undefined
    const match = DECIMAL.exec(value)
    if (!match) return undefined
    const [, sign, whole = '', fraction = ''] = match
    if (fraction.length > this.scale) return undefined
    const digits = (whole + fraction.padEnd(this.scale, '0')).replace(/^0+(?=\d)/, '')
    if (digits.length > this.precision) return undefined
    let unscaled = BigInt(digits)
    if (sign) unscaled = -unscaled
    return toTwosComplement(unscaled, this.#fixedSize)
  }

  protected override _resolve(writer: avsc.Type): ((value: unknown) => unknown) | undefined {
    if (writer instanceof DecimalType && writer.scale === this.scale && writer.precision <= this.precision) return (value) => value
    return undefined
  }
}

function toTwosComplement(value: bigint, fixedSize: number | undefined): Buffer | undefined {
  let length = 1
  while (value >= 1n << BigInt(length * 8 - 1) || value < -(1n << BigInt(length * 8 - 1))) length++
  if (fixedSize !== undefined) {
    if (length > fixedSize) return undefined
    length = fixedSize
  }
  const bytes = Buffer.alloc(length)
  let rest = value < 0n ? (1n << BigInt(length * 8)) + value : value
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return bytes
}

/** The logical types kafkit understands; others decode as their underlying type. */
export const logicalTypes = {
  'timestamp-millis': TimestampMillisType,
  uuid: UuidType,
  decimal: DecimalType,
} as unknown as Record<string, new (schema: avsc.Schema, opts?: unknown) => avsc.types.LogicalType>
