import { describe, expect, it } from 'vitest'
import { adaptPartitioner, keepPartition } from '../../../src/internal/transport/partitioning.js'
import { createDefaultPartitioner, partitionForKey } from '../../../src/partitioner.js'

const metadata = (count: number) => Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 1 })) as never
const partition = adaptPartitioner(createDefaultPartitioner())

describe('keepPartition', () => {
  it('keeps a partition the topic has', () => {
    expect(keepPartition(3, 4, true, () => 0)).toBe(3)
    expect(keepPartition(3, 4, false, () => 0)).toBe(3)
  })
  it('falls back to the key partition when the topic has fewer partitions', () => {
    expect(keepPartition(5, 4, true, () => 2)).toBe(2)
  })
  it('puts a keyless record at the source partition modulo the partition count', () => {
    expect(keepPartition(5, 4, false, () => 2)).toBe(1)
    expect(keepPartition(7, 2, false, () => 0)).toBe(1)
  })
})

describe('adaptPartitioner with a preferred partition', () => {
  it('an explicit partition wins over the preference', () => {
    expect(partition({ topic: 't', partitionMetadata: metadata(4), message: { key: 'k', partition: 0, preferredPartition: 3 } })).toBe(0)
  })
  it('a keyed record keeps its preferred partition where it exists, else goes by murmur2', () => {
    expect(partition({ topic: 't', partitionMetadata: metadata(4), message: { key: Buffer.from('k'), preferredPartition: 3 } })).toBe(3)
    expect(partition({ topic: 't', partitionMetadata: metadata(2), message: { key: Buffer.from('k'), preferredPartition: 3 } })).toBe(partitionForKey('k', 2))
  })
  it('keyless records of one source partition never scatter', () => {
    const chosen = new Set(Array.from({ length: 50 }, () => partition({ topic: 't', partitionMetadata: metadata(2), message: { key: null, preferredPartition: 5 } })))
    expect([...chosen]).toEqual([1])
  })
  it('without a preference, keyless records still go round-robin', () => {
    const chosen = new Set(Array.from({ length: 20 }, () => partition({ topic: 't', partitionMetadata: metadata(3), message: { key: null } })))
    expect(chosen.size).toBe(3)
  })
})
