import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import { createDefaultPartitioner } from '../../partitioner.js'
import type { ConsumerDeps, DeadLetterDeps, EngineConsumerConfig, EngineConsumerEvents } from '../../consumer/engine.js'
import type { PipelineBatch, PipelineEngine } from '../../pipeline/engine.js'
import { type RawRecord, toWireMessage } from '../../consumer/records.js'
import { toKafkitError } from './errors.js'
import { scanTopic } from './topic-scan.js'
import type { KafkajsTransport } from './kafkajs.js'
import type { WireMessage } from './types.js'

/** Who commits a group's offsets. */
export type OffsetCommits =
  /** kafkajs commits resolved offsets (after each batch and on its interval): a plain consumer. */
  | 'engine'
  /** Nobody but the caller, inside its transactions (`sendOffsets`): a pipeline. */
  | 'transactions'

/**
 * Whether kafkajs should restart a group consumer whose fetch loop crashed. kafkit never
 * wants a silent stop, so it restarts, except after failures no retry fixes: rejected
 * credentials, a missing ACL, an untrusted certificate (`KAFKIT_AUTH`). Restarting would only
 * hammer the broker; the crash event (`restart: false`) and the health view report it.
 */
export function restartsAfter(error: unknown): boolean {
  return toKafkitError(error).code !== 'KAFKIT_AUTH'
}

/**
 * The one kafkajs group consumer behind both the consumer runtime and pipelines.
 * `eachBatch` with auto-resolve off: kafkit resolves each offset itself, once the message
 * was handled or parked (consumer) or its transaction committed (pipeline). With
 * `commits: 'engine'` kafkajs commits only resolved offsets, which is what makes a plain
 * consumer at-least-once; with `'transactions'` auto-commit is off and offsets move only
 * inside the caller's transactions. Batches carry `nextOffset` (past transaction markers).
 */
export function createGroupConsumer(kafka: Kafka, config: EngineConsumerConfig, commits: OffsetCommits = 'engine'): PipelineEngine {
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: config.heartbeatIntervalMs,
    rebalanceTimeout: config.rebalanceTimeoutMs,
    maxWaitTimeInMs: config.maxWaitTimeMs,
    readUncommitted: config.isolationLevel === 'read_uncommitted',
    retry: { restartOnFailure: async (error) => restartsAfter(error) },
  })
  const what = commits === 'engine' ? 'consumer' : 'pipeline consumer'
  return {
    connect: async () => {
      try {
        await consumer.connect()
      } catch (error) {
        throw toKafkitError(error, { groupId: config.groupId }, `${what} connect`)
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
        autoCommit: commits === 'engine',
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.partitionsConcurrently,
        eachBatch: (payload) => eachBatch(toEngineBatch(payload, commits)),
      }),
    stop: () => consumer.stop(),
    disconnect: () => consumer.disconnect(),
    on<K extends keyof EngineConsumerEvents>(event: K, listener: EngineConsumerEvents[K]): () => void {
      const { events } = consumer
      switch (event) {
        case 'rebalancing':
          return consumer.on(events.REBALANCING, () => (listener as EngineConsumerEvents['rebalancing'])())
        case 'connect':
          return consumer.on(events.CONNECT, () => (listener as EngineConsumerEvents['connect'])())
        case 'disconnect':
          return consumer.on(events.DISCONNECT, () => (listener as EngineConsumerEvents['disconnect'])())
        case 'group-join':
          return consumer.on(events.GROUP_JOIN, (e) => (listener as EngineConsumerEvents['group-join'])(e.payload.memberAssignment))
        case 'fetch':
          return consumer.on(events.FETCH, () => (listener as EngineConsumerEvents['fetch'])())
        case 'batch-end':
          return consumer.on(events.END_BATCH_PROCESS, (e) =>
            (listener as EngineConsumerEvents['batch-end'])({ topic: e.payload.topic, partition: e.payload.partition, size: e.payload.batchSize, lag: Math.max(0, Number(e.payload.offsetLag)) }),
          )
        default:
          return consumer.on(events.CRASH, (e) => (listener as EngineConsumerEvents['crash'])(e.payload.error, e.payload.restart))
      }
    },
  }
}

function toEngineBatch(payload: EachBatchPayload, commits: OffsetCommits): PipelineBatch {
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
    // Transactions carry the offsets of a pipeline: nothing to commit here.
    commitIfNecessary: commits === 'engine' ? () => payload.commitOffsetsIfNecessary() : async () => {},
    pause: () => payload.pause(),
    isRunning: () => payload.isRunning(),
    isStale: () => payload.isStale(),
  }
}

/**
 * Everything a `KafkitConsumer` needs from one kafkajs client: group consumers, an
 * idempotent acks=all producer for retry and dead-letter writes, and an admin to create
 * those topics. The producer and admin connect on first use and close on `release()`.
 */
export function createConsumerDeps(transport: KafkajsTransport): ConsumerDeps & DeadLetterDeps {
  // The default partitioner is Java's murmur2, so a dead letter lands where a JVM producer would put its key.
  // Idempotent with the default delivery timeout: a dead letter or retry write rides through a failover too.
  const producer = transport.producer({ idempotent: true, allowAutoTopicCreation: false, maxInFlightRequests: 1, partitioner: createDefaultPartitioner(), deliveryTimeoutMs: 120_000 })
  const admin = transport.admin()
  let producerReady: Promise<void> | undefined
  let adminReady: Promise<void> | undefined
  const withAdmin = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      await (adminReady ??= admin.connect())
    } catch (error) {
      adminReady = undefined
      throw error
    }
    return fn()
  }
  return {
    createEngine: (config) => createGroupConsumer(transport.engine, config),
    scan: (topic, onRecord) => scanTopic(transport.engine, topic, onRecord),
    sender: {
      async send(records) {
        try {
          await (producerReady ??= producer.connect())
        } catch (error) {
          producerReady = undefined
          throw error
        }
        const byTopic = new Map<string, WireMessage[]>()
        for (const r of records) {
          const list = byTopic.get(r.topic) ?? []
          list.push(toWireMessage(r))
          byTopic.set(r.topic, list)
        }
        await producer.send([...byTopic].map(([topic, messages]) => ({ topic, messages })), { acks: -1, compression: 'none', timeoutMs: 30_000 })
      },
    },
    topics: {
      ensureTopics: (topics) =>
        withAdmin(async () => {
          const existing = new Set(await admin.listTopics())
          const missing = topics.filter((t) => !existing.has(t.name))
          if (missing.length > 0) await admin.createTopics(missing.map((t) => ({ topic: t.name, partitions: t.partitions ?? -1, replicationFactor: t.replicationFactor ?? -1, config: t.config ?? {} })), 30_000)
        }),
      describe: (topic) =>
        withAdmin(async () => {
          if (!(await admin.listTopics()).includes(topic)) return undefined
          const description = (await admin.describeTopics([topic]))[0]
          return description && { partitions: description.partitions, replicationFactor: description.replicationFactor }
        }),
    },
    release: async () => {
      await Promise.allSettled([producerReady && producer.disconnect(), adminReady && admin.disconnect()])
    },
  }
}
