import kafkajs from 'kafkajs'
import type { CompressionName } from './types.js'

const { CompressionTypes } = kafkajs

/** kafkajs' code of each compression codec. */
export const COMPRESSION: Record<CompressionName, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}
