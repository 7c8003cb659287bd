// kafkajs-snappy ships no types: a kafkajs codec factory.
declare module 'kafkajs-snappy' {
  const createSnappyCodec: () => {
    compress(encoder: { buffer: Buffer }): Promise<Buffer>
    decompress(buffer: Buffer): Promise<Buffer>
  }
  export = createSnappyCodec
}

// kafkajs' protocol error table (no types of its own): every Kafka error code kafkajs knows.
declare module 'kafkajs/src/protocol/error.js' {
  const table: { errorCodes: { type: string; code: number; retriable: boolean; message: string }[] }
  export default table
}
