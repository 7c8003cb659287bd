import { gzipSync } from 'node:zlib'
import kafkajs from 'kafkajs'
import { describe, expect, test } from 'vitest'
import { engineCodecs, registerCodecs } from '../../../src/internal/transport/codecs.js'

const text = Buffer.from('kafkit compresses record batches. '.repeat(3000))

describe('compression codecs', () => {
  test.each([
    ['lz4', [0x04, 0x22, 0x4d, 0x18]],
    ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ] as const)('%s writes the standard frame format (magic number) and reads it back', async (name, magic) => {
    const codec = engineCodecs()[name]
    const compressed = await codec.compress({ buffer: text })
    expect([...compressed.subarray(0, 4)]).toEqual(magic)
    expect(compressed.length).toBeLessThan(text.length / 10)
    expect((await codec.decompress(compressed)).equals(text)).toBe(true)
  })

  test('snappy round-trips and reads the xerial framing the Java client writes', async () => {
    const { snappy } = engineCodecs()
    const block = await snappy.compress({ buffer: text })
    expect((await snappy.decompress(block)).equals(text)).toBe(true)
    // xerial: magic, version 1, compatible version 1, then [length][block] chunks.
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1])
    const length = Buffer.alloc(4)
    length.writeUInt32BE(block.length)
    const framed = Buffer.concat([header, length, block, length, block])
    expect((await snappy.decompress(framed)).equals(Buffer.concat([text, text]))).toBe(true)
  })

  test('registerCodecs installs them into kafkajs next to its own gzip', async () => {
    registerCodecs()
    const { CompressionCodecs, CompressionTypes } = kafkajs
    for (const type of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]) {
      const codec = (CompressionCodecs as Record<number, () => unknown>)[type]!() as { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }
      expect((await codec.decompress(await codec.compress({ buffer: text }))).equals(text)).toBe(true)
    }
    const gzip = (CompressionCodecs as Record<number, () => unknown>)[CompressionTypes.GZIP]!() as { decompress(b: Buffer): Promise<Buffer> }
    expect((await gzip.decompress(gzipSync(text))).equals(text)).toBe(true)
  })
})
