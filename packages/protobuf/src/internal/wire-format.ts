import { HEADER_BYTES, MAGIC_BYTE } from '@kafkit/core'
/**
 * The Confluent wire format for Protobuf: magic byte 0, the schema id as a 4-byte big-endian
 * int, the message-index array, then the Protobuf body.
 *
 * The message-index array locates the message type in its `.proto` file: the index of the
 * top-level message, then of each nested message down to it. It is written as zigzag varints,
 * the count first; the common `[0]` (the file's first message) is the single byte `0`.
 */
export { HEADER_BYTES, MAGIC_BYTE }
/** Far more nesting than any real schema has; a longer array is garbage, not a schema. */
const MAX_INDEXES = 255

/** The header and message indexes of one schema id and message type, ready to prefix bodies. */
export function framePrefix(schemaId: number, indexes: readonly number[]): Buffer {
  const bytes: number[] = [MAGIC_BYTE, (schemaId >>> 24) & 0xff, (schemaId >>> 16) & 0xff, (schemaId >>> 8) & 0xff, schemaId & 0xff]
  if (indexes.length === 1 && indexes[0] === 0) {
    bytes.push(0)
  } else {
    writeVarint(bytes, zigzag(indexes.length))
    for (const index of indexes) writeVarint(bytes, zigzag(index))
  }
  return Buffer.from(bytes)
}

/** What {@link readFrame} found after the 5-byte header. */
export interface Frame {
  indexes: number[]
  /** Where the Protobuf body starts. */
  bodyOffset: number
}

/**
 * Reads the message indexes that follow the 5-byte header.
 * @throws Error for a truncated, overlong or negative index array (the caller wraps it)
 */
export function readFrame(bytes: Buffer): Frame {
  const cursor = { offset: HEADER_BYTES }
  const count = unzigzag(readVarint(bytes, cursor))
  if (count === 0) return { indexes: [0], bodyOffset: cursor.offset }
  if (count < 0 || count > MAX_INDEXES) throw new Error(`message-index count ${count} is out of range`)
  const indexes: number[] = []
  for (let i = 0; i < count; i++) {
    const index = unzigzag(readVarint(bytes, cursor))
    if (index < 0) throw new Error(`negative message index ${index}`)
    indexes.push(index)
  }
  return { indexes, bodyOffset: cursor.offset }
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2
}

function writeVarint(out: number[], value: number): void {
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
}

/** An unsigned varint of at most 5 bytes (32 bits), as the Java and Python serdes write. */
function readVarint(bytes: Buffer, cursor: { offset: number }): number {
  let result = 0
  let factor = 1
  for (let i = 0; i < 5; i++) {
    if (cursor.offset >= bytes.length) throw new Error('message indexes cut short')
    const byte = bytes[cursor.offset++] as number
    result += (byte & 0x7f) * factor
    if ((byte & 0x80) === 0) return result
    factor *= 0x80
  }
  throw new Error('message-index varint longer than 5 bytes')
}
