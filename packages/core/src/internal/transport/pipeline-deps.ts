import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import type { EngineConsumerEvents } from '../../consumer/engine.js'
import type { RawRecord } from '../../consumer/records.js'
import type { PipelineBatch, PipelineConsumerConfig, PipelineDeps, PipelineEngine } from '../../pipeline/engine.js'
import { toKafkitError } from './errors.js'
import { createConsumerDeps } from './group-consumer.js'
import type { KafkajsTransport } from './kafkajs.js'
import { createTransactionalProducer } from './transactions.js'

/**
 * A kafkajs group consumer for a pipeline: auto-commit off (the pipeline commits offsets
 * inside its transactions with `sendOffsets`), offsets resolved only after a commit, and
 * the isolation level asked for (`read_committed` for pipelines).
 */
function createPipelineConsumer(kafka: Kafka, config: PipelineConsumerConfig): PipelineEngine {
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: config.heartbeatIntervalMs,
    rebalanceTimeout: config.rebalanceTimeoutMs,
    maxWaitTimeInMs: config.maxWaitTimeMs,
    readUncommitted: config.isolationLevel === 'read_uncommitted',
    retry: { restartOnFailure: async () => true },
  })
  return {
    connect: async () => {
      try {
        await consumer.connect()
      } catch (error) {
        throw toKafkitError(error, { groupId: config.groupId }, 'pipeline consumer connect')
      }
    },
    subscribe: async (topics, fromBeginning) => {
      try {
        await consumer.subscribe({ topics, fromBeginning })
      } catch (error) {
        throw toKafkitError(error, { groupId: config.groupId }, `subscribe to ${topics.join(', ')}`)
      }
    },
    run: (eachBatch) =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.partitionsConcurrently,
        eachBatch: (payload) => eachBatch(toBatch(payload)),
      }),
    stop: () => consumer.stop(),
    disconnect: () => consumer.disconnect(),
    on<K extends keyof EngineConsumerEvents>(event: K, listener: EngineConsumerEvents[K]): () => void {
      if (event === 'rebalancing') return consumer.on(consumer.events.REBALANCING, () => (listener as EngineConsumerEvents['rebalancing'])())
      if (event === 'crash') return consumer.on(consumer.events.CRASH, (e) => (listener as EngineConsumerEvents['crash'])(e.payload.error, e.payload.restart))
      // The pipeline listens to these two only.
      return () => {}
    },
  }
}

function toBatch(payload: EachBatchPayload): PipelineBatch {
  const { batch } = payload
  const records: RawRecord[] = batch.messages.map((m) => ({
    topic: batch.topic,
    partition: batch.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key ?? null,
    value: m.value ?? null,
    headers: (m.headers ?? {}) as RawRecord['headers'],
  }))
  return {
    topic: batch.topic,
    partition: batch.partition,
    records,
    nextOffset: String(BigInt(batch.lastOffset()) + 1n),
    resolveOffset: (offset) => payload.resolveOffset(offset),
    heartbeat: () => payload.heartbeat(),
    commitIfNecessary: async () => {},
    pause: () => payload.pause(),
    isRunning: () => payload.isRunning(),
    isStale: () => payload.isStale(),
  }
}

/** Everything a pipeline needs from one kafkajs client. */
export function createPipelineDeps(transport: KafkajsTransport): PipelineDeps {
  const shared = createConsumerDeps(transport)
  return {
    createEngine: (config) => createPipelineConsumer(transport.engine, config),
    createProducer: (options) => createTransactionalProducer(transport, options),
    committedOffset: async (groupId, topic, partition) => {
      const admin = transport.engine.admin()
      try {
        await admin.connect()
        const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
        const offset = entry?.partitions.find((p) => p.partition === partition)?.offset
        return offset === undefined || BigInt(offset) < 0n ? undefined : BigInt(offset)
      } catch (error) {
        throw toKafkitError(error, { groupId, topic, partition }, 'fetch committed offsets')
      } finally {
        await admin.disconnect().catch(() => {})
      }
    },
    topics: shared.topics,
    release: async () => {
      await shared.release?.()
    },
  }
}
