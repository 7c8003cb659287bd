import type { EnginePartitionMetadata } from './engine-internals.js'
import type { Partitioner } from './types.js'

/** Adapts a kafkit partitioner to the engine's call shape; an explicit `partition` on a message always wins. */
export function adaptPartitioner(partitioner: Partitioner) {
  return ({ topic, partitionMetadata, message }: { topic: string; partitionMetadata: EnginePartitionMetadata[]; message: { key?: Buffer | string | null; partition?: number } }) => {
    if (message.partition !== undefined && message.partition !== null) return message.partition
    const key = message.key === undefined || message.key === null ? null : Buffer.isBuffer(message.key) ? message.key : Buffer.from(message.key)
    const available: number[] = []
    for (const partition of partitionMetadata) if (partition.leader >= 0) available.push(partition.partitionId)
    return partitioner({ topic, key, partitionCount: partitionMetadata.length, availablePartitions: available })
  }
}
