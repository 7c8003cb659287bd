/** Confluent wire format: magic byte 0, then the schema id as a 4-byte big-endian int, then the Avro body. */
import { HEADER_BYTES, MAGIC_BYTE } from '@kafkit/core'

export { HEADER_BYTES, MAGIC_BYTE }

/** Writes the 5-byte header into `buffer` at 0. */
export function writeHeader(buffer: Buffer, schemaId: number): void {
  buffer[0] = MAGIC_BYTE
  buffer.writeInt32BE(schemaId, 1)
}
