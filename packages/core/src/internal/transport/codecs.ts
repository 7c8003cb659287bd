/// <reference path="./modules.d.ts" />
import kafkajs from 'kafkajs'

/**
 * Compression codecs for kafkajs, which ships gzip only. Chosen so that `npm install`
 * needs nothing but the npm registry (no compiler, no binary fetched from GitHub):
 *
 * - snappy: `kafkajs-snappy` (the kafkajs project's codec; pure JS via `snappyjs`; reads
 *   the xerial framing the Java client writes).
 * - lz4: `lz4-napi` (Rust `lz4_flex`; the prebuilt binary of each platform is itself an npm
 *   package, so nothing is downloaded from elsewhere). `kafkajs-lz4` needs `lz4@0.6`, a
 *   node-gyp build from C sources at install time.
 * - zstd: `@bokuweb/zstd-wasm` compresses (zstd's C library as WebAssembly), `fzstd`
 *   decompresses (pure JS, streaming, so it also reads the Java client's frames, which do
 *   not record their content size). `@kafkajs/zstd` needs `cppzst`, whose binary comes
 *   from GitHub or a local C++ build.
 *
 * Each library loads on first use, so a platform without an lz4 binary only fails when lz4
 * is used, with a message saying so.
 */
interface EngineCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

let registered = false

/** The codecs kafkit adds, by name (for tests and the registry below). */
export function engineCodecs(): Record<'snappy' | 'lz4' | 'zstd', EngineCodec> {
  return { snappy, lz4, zstd }
}

/** Installs the snappy, lz4 and zstd codecs into kafkajs (a process-wide registry). Idempotent. */
export function registerCodecs(): void {
  if (registered) return
  registered = true
  const { CompressionCodecs, CompressionTypes } = kafkajs
  CompressionCodecs[CompressionTypes.Snappy] = () => snappy
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstd
}

function once<T>(load: () => Promise<T>, name: string): () => Promise<T> {
  let loading: Promise<T> | undefined
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined
      throw new Error(`kafkit: the ${name} codec could not be loaded: ${(error as Error).message}`, { cause: error })
    })
    return loading
  }
}

const loadSnappy = once(async () => {
  const module = await import('kafkajs-snappy')
  const factory = (module as { default?: unknown }).default ?? module
  return (factory as () => EngineCodec)()
}, 'snappy (kafkajs-snappy)')

const snappy: EngineCodec = {
  async compress(encoder) {
    return (await loadSnappy()).compress(encoder)
  },
  async decompress(buffer) {
    return (await loadSnappy()).decompress(buffer)
  },
}

const loadLz4 = once(() => import('lz4-napi'), 'lz4 (lz4-napi)')

const lz4: EngineCodec = {
  async compress(encoder) {
    // Kafka's LZ4 is the LZ4 frame format with independent blocks (lz4_flex's default).
    return (await loadLz4()).compressFrame(encoder.buffer)
  },
  async decompress(buffer) {
    return (await loadLz4()).decompressFrame(buffer)
  },
}

const loadZstdCompressor = once(async () => {
  const zstdWasm = await import('@bokuweb/zstd-wasm')
  await zstdWasm.init()
  return zstdWasm
}, 'zstd (@bokuweb/zstd-wasm)')
const loadZstdDecompressor = once(() => import('fzstd'), 'zstd (fzstd)')

/** zstd's default level, as the Java client uses (`compression.zstd.level`). */
const ZSTD_LEVEL = 3

const zstd: EngineCodec = {
  async compress(encoder) {
    const compressed = (await loadZstdCompressor()).compress(encoder.buffer, ZSTD_LEVEL)
    return Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength)
  },
  async decompress(buffer) {
    const plain = (await loadZstdDecompressor()).decompress(buffer)
    return Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength)
  },
}
