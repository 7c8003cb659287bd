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
  const table: { errorCodes: { type: string; code: number; retriable: boolean; message: string }[]; createErrorFromCode(code: number): unknown }
  export default table
}

// kafkajs internals under its producer, used by kafkit's own delivery path (engine-internals.ts).
declare module 'kafkajs/src/protocol/requests/apiKeys.js' {
  const apiKeys: { Produce: number; Metadata: number; [name: string]: number }
  export default apiKeys
}
declare module 'kafkajs/src/protocol/requests/index.js' {
  const table: { requests: { Produce: { versions: string[] }; [name: string]: object } }
  export default table
}
declare module 'kafkajs/src/producer/eosManager/index.js' {
  const createEosManager: (options: { logger: unknown; cluster: unknown; transactionTimeout: number; transactional: boolean; transactionalId: string | undefined }) => unknown
  export default createEosManager
}
declare module 'kafkajs/src/broker/index.js' {
  const Broker: { prototype: object }
  export default Broker
}
// kafkajs' default socket factory (net or tls), which connection-watch.ts wraps.
declare module 'kafkajs/src/network/socketFactory.js' {
  const createSocketFactory: () => import('kafkajs').ISocketFactory
  export default createSocketFactory
}
