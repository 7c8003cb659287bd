// The delivery path's sequence bookkeeping, against a scripted broker answer per request (the real
// broker's behaviour is in test/integration/producer-failover.int.test.ts): a sent batch's sequence
// range is never given to other records under the same producer id, and a request never mixes ids.
import { describe, expect, test } from 'vitest'
import { Delivery } from '../../../src/internal/transport/delivery.js'
import { IdempotentIdentity } from '../../../src/internal/transport/identity.js'
import type { EngineCluster } from '../../../src/internal/transport/engine-internals.js'

interface SentRequest {
  producerId: number
  topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: { value: Buffer }[] }[] }[]
}

// As kafkajs' Broker names its private request channel (the delivery path finds it by this name).
const sendRequest = Symbol('private:Broker:sendRequest')

/** A broker whose Produce answers come from `answer`, per request; it records every request. */
function scriptedCluster(answer: (request: SentRequest, index: number) => Record<number, { errorCode: number; baseOffset: string }>) {
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
      const byPartition = answer(built.request, index)
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
    findTopicPartitionMetadata: () => [
      { partitionId: 0, leader: 1 },
      { partitionId: 1, leader: 1 },
    ],
    findBroker: async () => broker,
    removeBroker: () => {},
    markOffsetAsCommitted: () => {},
  } as unknown as EngineCluster
  return { cluster, requests }
}

function delivery(cluster: EngineCluster, deliveryTimeoutMs = 2_000) {
  let next = 100
  const identity = new IdempotentIdentity(() => {
    let id = -1
    return { initProducerId: async () => void (id = next++), getProducerId: () => id, getProducerEpoch: () => 0 } as never
  })
  const d = new Delivery({ cluster, partitioner: () => 0, identity, deliveryTimeoutMs, requestTimeoutMs: 1000, maxInFlightRequests: 1, maxBatchBytes: 1_000_000, unknownTopicRetries: 0, log: () => {} })
  return { d, identity }
}

const settings = { acks: -1 as const, ackTimeoutMs: 100, compression: 0 }
const records = (partition: number, ...values: string[]) => [{ topic: 't', messages: values.map((v) => ({ key: null, value: Buffer.from(v), partition })) }]
const ok = (offset: string) => ({ errorCode: 0, baseOffset: offset })
const NOT_LEADER = { errorCode: 6, baseOffset: '-1' }
const OUT_OF_ORDER = { errorCode: 45, baseOffset: '-1' }

describe('Delivery', () => {
  test('a batch that was sent and then timed out is unknown, and its sequence range is never reused under the same producer id', async () => {
    let failing = true
    const { cluster, requests } = scriptedCluster(() => ({ 0: failing ? NOT_LEADER : ok('500') }))
    const { d, identity } = delivery(cluster, 400)
    await identity.renew(undefined)
    const first = await d.send(records(0, 'r1'), settings).catch((e: { context: Record<string, unknown> }) => e.context)
    expect(first).toMatchObject({ outcome: 'unknown' })
    failing = false
    expect(await d.send(records(0, 'r2'), settings)).toEqual([{ topic: 't', partition: 0, baseOffset: '500', logAppendTime: '-1' }])
    const last = requests.at(-1)!
    // r2 goes under a new producer id: under the old one, sequence 0 could be answered from the
    // broker's duplicate cache with r1's offset.
    expect(last.producerId).toBe(101)
    expect(last.topicData[0]!.partitions[0]!.firstSequence).toBe(0)
    for (const request of requests.slice(0, -1)) expect(request.producerId).toBe(100)
    d.close()
  })

  test('after a sequence error the same records go again under a new producer id from sequence 0, and the send resolves', async () => {
    const { cluster, requests } = scriptedCluster((_, index) => ({ 0: index === 1 ? OUT_OF_ORDER : ok(String(10 + index)) }))
    const { d, identity } = delivery(cluster)
    await identity.renew(undefined)
    await d.send(records(0, 'a'), settings)
    const written = await d.send(records(0, 'b', 'c'), settings)
    expect(written).toMatchObject([{ partition: 0, baseOffset: '12' }])
    expect(requests.map((r) => [r.producerId, r.topicData[0]!.partitions[0]!.firstSequence, r.topicData[0]!.partitions[0]!.messages.map((m) => m.value.toString()).join('')])).toEqual([
      [100, 0, 'a'],
      [100, 1, 'bc'],
      [101, 0, 'bc'],
    ])
    d.close()
  })

  test('a request never carries batches of two producer ids', async () => {
    // Partition 1's batch (id 100) waits to be retried while partition 0 meets a sequence error
    // and moves to id 101: the two are then ready for the same broker at the same time.
    const { cluster, requests } = scriptedCluster((request, index) => {
      const answers: Record<number, { errorCode: number; baseOffset: string }> = {}
      for (const p of request.topicData[0]!.partitions) answers[p.partition] = index === 0 ? NOT_LEADER : index === 1 ? OUT_OF_ORDER : ok(String(index))
      return answers
    })
    const { d, identity } = delivery(cluster)
    await identity.renew(undefined)
    const y = d.send(records(1, 'y'), settings)
    await new Promise((resolve) => setTimeout(resolve, 10))
    await Promise.all([y, d.send(records(0, 'x'), settings)])
    const seen = requests.map((r) => [r.producerId, r.topicData.flatMap((t) => t.partitions.map((p) => `${p.partition}@${p.firstSequence}`))])
    expect(seen.slice(0, 2)).toEqual([
      [100, ['1@0']],
      [100, ['0@0']],
    ])
    // Then y (still id 100, same sequence) and x (id 101, sequence 0) go in separate requests.
    expect(seen.slice(2).sort()).toEqual([
      [100, ['1@0']],
      [101, ['0@0']],
    ])
    d.close()
  })
})
