/** Confluent wire format: magic byte 0, then the schema id as a 4-byte big-endian int, then the Avro body. */
export const MAGIC_BYTE = 0
/** Bytes before the Avro body. */
export const HEADER_BYTES = 5

/** Writes the 5-byte header into `buffer` at 0. */
export function writeHeader(buffer: Buffer, schemaId: number): void {
  buffer[0] = MAGIC_BYTE
  buffer.writeInt32BE(schemaId, 1)
}
