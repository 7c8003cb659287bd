import type { EnginePartitionMetadata } from './engine-internals.js'
import type { Partitioner } from './types.js'

interface PartitionedMessage {
  key?: Buffer | string | null
  partition?: number
  preferredPartition?: number
}

/**
 * Where a record that prefers `preferred` goes on a topic of `partitionCount` partitions:
 * that partition when the topic has it; else `byKey()` (the producer's partitioner) for a
 * record with a key; else `preferred % partitionCount`, so keyless records of one source
 * partition stay together instead of scattering round-robin.
 */
export function keepPartition(preferred: number, partitionCount: number, hasKey: boolean, byKey: () => number): number {
  if (preferred < partitionCount) return preferred
  return hasKey ? byKey() : preferred % partitionCount
}

/**
 * Adapts a kafkit partitioner to the engine's call shape: an explicit `partition` on a
 * message always wins, then a `preferredPartition` (see {@link keepPartition}), then the partitioner.
 */
export function adaptPartitioner(partitioner: Partitioner) {
  return ({ topic, partitionMetadata, message }: { topic: string; partitionMetadata: EnginePartitionMetadata[]; message: PartitionedMessage }) => {
    if (message.partition !== undefined && message.partition !== null) return message.partition
    const key = message.key === undefined || message.key === null ? null : Buffer.isBuffer(message.key) ? message.key : Buffer.from(message.key)
    const byKey = () => {
      const available: number[] = []
      for (const partition of partitionMetadata) if (partition.leader >= 0) available.push(partition.partitionId)
      return partitioner({ topic, key, partitionCount: partitionMetadata.length, availablePartitions: available })
    }
    const preferred = message.preferredPartition
    // The cached metadata of the producer says how many partitions the topic has (it was
    // loaded, or the topic auto-created, before records are partitioned).
    if (preferred !== undefined && Number.isInteger(preferred) && preferred >= 0 && partitionMetadata.length > 0) {
      return keepPartition(preferred, partitionMetadata.length, key !== null, byKey)
    }
    return byKey()
  }
}
