// A cluster of one scripted broker for the delivery path's unit tests: every Produce request is
// recorded and answered by the test's script (per partition), after an optional wait. Not a test
// file itself. The real broker's behaviour is in test/integration/.
import { Delivery } from '../../../src/internal/transport/delivery.js'
import type { EngineCluster } from '../../../src/internal/transport/engine-internals.js'
import { IdempotentIdentity } from '../../../src/internal/transport/identity.js'

export interface SentRequest {
  producerId: number
  topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { value: Buffer }[] }[] }[]
}

export type PartitionAnswer = { errorCode: number; baseOffset: string }

// As kafkajs' Broker names its private request channel (the delivery path finds it by this name).
const sendRequest = Symbol('private:Broker:sendRequest')

/** A broker whose Produce answers come from `answer` (which may wait), per request; it records every request. */
export function scriptedCluster(answer: (request: SentRequest, index: number) => Record<number, PartitionAnswer> | Promise<Record<number, PartitionAnswer>>, partitions = 3) {
  const requests: SentRequest[] = []
  class ScriptedBroker {
    nodeId = 1
    isConnected() {
      return true
    }
    lookupRequest() {
      return (args: SentRequest) => ({ request: args, response: { decode: async (payload: unknown) => payload } })
    }
    async [sendRequest](built: { request: SentRequest }) {
      const index = requests.push(built.request) - 1
      const byPartition = await answer(built.request, index)
      return { topics: built.request.topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, ...byPartition[p.partition]! })) })) }
    }
  }
  const broker = new ScriptedBroker()
  const cluster = {
    connect: async () => {},
    disconnect: async () => {},
    isConnected: () => true,
    refreshMetadata: async () => {},
    refreshMetadataIfNecessary: async () => {},
    addMultipleTargetTopics: async () => {},
    findTopicPartitionMetadata: () => Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1 })),
    findBroker: async () => broker,
    removeBroker: () => {},
    markOffsetAsCommitted: () => {},
  } as unknown as EngineCluster
  return { cluster, requests }
}

export const ok = (offset: string): PartitionAnswer => ({ errorCode: 0, baseOffset: offset })

/**
 * An idempotent delivery path on `cluster`, every record to partition 0 unless it names one;
 * producer ids from 100 up, each after the first granted `grantMs` late.
 */
export function scriptedDelivery(cluster: EngineCluster, options: { deliveryTimeoutMs?: number; grantMs?: number; maxQueuedBytes?: number; requestTimeoutMs?: number } = {}) {
  const { deliveryTimeoutMs = 2_000, grantMs = 0, requestTimeoutMs = 1_000 } = options
  let next = 100
  const identity = new IdempotentIdentity(() => {
    let id = -1
    const grant = async () => {
      if (grantMs > 0 && next > 100) await new Promise((resolve) => setTimeout(resolve, grantMs))
      id = next++
    }
    return { initProducerId: grant, getProducerId: () => id, getProducerEpoch: () => 0 } as never
  })
  const d = new Delivery({
    cluster,
    partitioner: () => 0,
    identity,
    deliveryTimeoutMs,
    requestTimeoutMs,
    maxInFlightRequests: 1,
    maxBatchBytes: 1_000_000,
    ...(options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: options.maxQueuedBytes }),
    unknownTopicRetries: 0,
    log: () => {},
  })
  return { d, identity }
}
