import { randomInt } from 'node:crypto'
import type { Partitioner, PartitionerContext } from './kafka-types.js'

export type { Partitioner, PartitionerContext }

const SEED = 0x9747b28c
const M = 0x5bd1e995

/**
 * Kafka's murmur2 hash (`org.apache.kafka.common.utils.Utils.murmur2`), bit for bit: a
 * signed 32-bit integer, as the Java client computes it.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const blocks = length >>> 2
  for (let i = 0; i < blocks; i++) {
    const offset = i << 2
    let k = data[offset]! | (data[offset + 1]! << 8) | (data[offset + 2]! << 16) | (data[offset + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const tail = length & ~3
  // Java's fall-through switch on length % 4, unrolled.
  const rest = length & 3
  if (rest === 3) h ^= data[tail + 2]! << 16
  if (rest >= 2) h ^= data[tail + 1]! << 8
  if (rest >= 1) h = Math.imul(h ^ data[tail]!, M)
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/**
 * The partition the Java client's default partitioner picks for a key:
 * `toPositive(murmur2(keyBytes)) % partitionCount`. Strings are hashed as UTF-8, which is
 * what `string()` writes, so services in any language agree on where a key lives.
 */
export function partitionForKey(key: Uint8Array | string, partitionCount: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key
  return (murmur2(bytes) & 0x7fffffff) % partitionCount
}

/**
 * The default partitioner: records with a key go where the Java client would put them
 * (murmur2 of the encoded key over all partitions, so placement does not move while a
 * broker is down); records without a key go round-robin over partitions that have a
 * leader.
 */
export function createDefaultPartitioner(): Partitioner {
  const counters = new Map<string, number>()
  return ({ topic, key, partitionCount, availablePartitions }: PartitionerContext): number => {
    if (key !== null) return partitionForKey(key, partitionCount)
    // Start each topic at a random partition so many producers do not all begin at 0.
    const next = (counters.get(topic) ?? randomInt(0, 0x7fffffff)) + 1
    counters.set(topic, next & 0x7fffffff)
    if (availablePartitions.length > 0) return availablePartitions[next % availablePartitions.length]!
    return next % partitionCount
  }
}
