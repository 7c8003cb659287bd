// A cluster of one scripted broker for the delivery path's unit tests: every Produce request is
// recorded and answered by the test's script (per partition), after an optional wait. Not a test
// file itself. The real broker's behaviour is in test/integration/.
import type { EngineCluster } from '../../../src/internal/transport/engine-internals.js'

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
