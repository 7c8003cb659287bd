import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import { createDefaultPartitioner } from '../../partitioner.js'
import type { ConsumerDeps, EngineConsumerConfig, EngineConsumerEvents, RecordSender } from '../../runtime/engine.js'
import type { RebalanceReason } from '../../runtime/events.js'
import type { PipelineBatch, PipelineEngine } from '../../pipeline/engine.js'
import { toWireMessage } from '../../runtime/records.js'
import { KafkitError } from '../../errors.js'
import { bounded } from '../bounded.js'
import { someLink, toKafkitError } from './errors.js'
import { type AuthorizationProbe, probeAuthorization, protocolError } from './engine-internals.js'
import type { KafkajsTransport } from './kafkajs.js'
import { GROUP_AUTHORIZATION_FAILED, groupAuthorizationError, isGroupAuthorizationFailure, isTopicAuthorizationFailure, TOPIC_AUTHORIZATION_FAILED, topicReadAuthorizationError } from './topic-authorization.js'
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
 * Whether `error` (from a heartbeat, a commit or a fetch) says the member's group changed:
 * `member-lost` when the coordinator no longer knows this member or its generation (evicted
 * after the session timeout), `rebalance` when the group is rebalancing or the coordinator
 * moved (kafkajs rejoins on those too).
 */
export function groupChangeOf(error: unknown): RebalanceReason | undefined {
  for (let e = error as { type?: unknown; cause?: unknown } | undefined, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = e.cause as typeof e, depth++) {
    switch (e.type) {
      case 'UNKNOWN_MEMBER_ID':
      case 'ILLEGAL_GENERATION':
      case 'FENCED_INSTANCE_ID':
        return 'member-lost'
      case 'REBALANCE_IN_PROGRESS':
      case 'NOT_COORDINATOR_FOR_GROUP':
        return 'rebalance'
    }
  }
  return undefined
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
  const subscribed: string[] = []
  // A crash whose refusal is being named (see explainRefusal): run() settles after it was reported.
  let explaining: Promise<void> = Promise.resolve()
  // kafkajs reports a rebalance only when one reaches its fetch loop, and an eviction never:
  // kafkit also reports each group error a batch's heartbeat or commit meets.
  const rebalancing = new Set<EngineConsumerEvents['rebalancing']>()
  const changed = (error: unknown): void => {
    const reason = groupChangeOf(error)
    if (reason !== undefined) for (const listener of rebalancing) listener(reason, error)
  }
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
        subscribed.push(...topics)
      } catch (error) {
        throw (await explainRefusal(kafka, error, config.groupId, topics, 'subscribe')) ?? toKafkitError(error, { groupId: config.groupId }, `subscribe to ${topics.join(', ')}`)
      }
    },
    run: async (eachBatch) => {
      await consumer.run({
        autoCommit: commits === 'engine',
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.partitionsConcurrently,
        eachBatch: async (payload) => {
          try {
            await eachBatch(toEngineBatch(payload, commits, changed))
          } catch (error) {
            changed(error)
            throw error
          }
        },
      })
      // kafkajs reports a join that failed as a crash before run() returns: the start fails with it.
      await explaining
    },
    stop: () => consumer.stop(),
    disconnect: () => consumer.disconnect(),
    on<K extends keyof EngineConsumerEvents>(event: K, listener: EngineConsumerEvents[K]): () => void {
      const { events } = consumer
      switch (event) {
        case 'rebalancing': {
          const fn = listener as EngineConsumerEvents['rebalancing']
          rebalancing.add(fn)
          const off = consumer.on(events.REBALANCING, () => fn('rebalance'))
          return () => {
            rebalancing.delete(fn)
            off()
          }
        }
        case 'connect':
          return consumer.on(events.CONNECT, () => (listener as EngineConsumerEvents['connect'])())
        case 'disconnect':
          return consumer.on(events.DISCONNECT, () => (listener as EngineConsumerEvents['disconnect'])())
        case 'group-join':
          return consumer.on(events.GROUP_JOIN, (e) =>
            (listener as EngineConsumerEvents['group-join'])({ memberId: e.payload.memberId, isLeader: e.payload.isLeader, assignment: e.payload.memberAssignment }),
          )
        case 'fetch':
          return consumer.on(events.FETCH, () => (listener as EngineConsumerEvents['fetch'])())
        case 'batch-end':
          return consumer.on(events.END_BATCH_PROCESS, (e) =>
            (listener as EngineConsumerEvents['batch-end'])({ topic: e.payload.topic, partition: e.payload.partition, size: e.payload.batchSize, lag: Math.max(0, Number(e.payload.offsetLag)) }),
          )
        default:
          return consumer.on(events.CRASH, (e) => {
            const report = (error: KafkitError) => (listener as EngineConsumerEvents['crash'])(error, e.payload.restart)
            const { error } = e.payload
            if (!mayBeRefusal(error)) return report(crashError(error, config, what))
            // Never rejects: nobody awaits it once run() returned (a Fetch refused later).
            explaining = explainRefusal(kafka, error, config.groupId, subscribed, 'run')
              .then((refusal) => report(refusal ?? crashError(error, config, what)))
              .catch(() => {})
          })
      }
    },
  }
}

/** The error a crashed fetch loop reports, with the fix named where the cause is configuration. */
function crashError(error: unknown, config: EngineConsumerConfig, what: string): KafkitError {
  const kafkit = toKafkitError(error, { groupId: config.groupId }, `${what} ${config.groupId}`)
  if (kafkit.context.kafkaError !== 'INVALID_SESSION_TIMEOUT') return kafkit
  return new KafkitError(
    'KAFKIT_CONFIG',
    `${what} ${config.groupId}: the broker refuses sessionTimeoutMs ${config.sessionTimeoutMs}: it must lie between the broker's group.min.session.timeout.ms (default 6000) and group.max.session.timeout.ms (default 1800000)`,
    { cause: kafkit, retriable: false, context: kafkit.context },
  )
}

/** Whether a failure may be an ACL refusal kafkajs does not name (see {@link explainRefusal}). */
function mayBeRefusal(error: unknown): boolean {
  return isTopicAuthorizationFailure(error) || isGroupAuthorizationFailure(error) || someLink(error, (link) => (link as { name?: string }).name === 'KafkaJSGroupCoordinatorNotFound')
}

// Long enough for a connection and two requests; a probe that takes longer only says nothing.
const PROBE_TIMEOUT_MS = 10_000

/**
 * The error of a refusal by the cluster's authorizer, named: the topics (and the ACL, by the
 * request refused) or the group. kafkajs throws the first error code of a Metadata or Fetch
 * answer without its topic, and turns a refused coordinator lookup into "Failed to find group
 * coordinator": one Metadata request for `topics` and one FindCoordinator on a connection of
 * the probe's own tell which. Undefined when `error` is no such refusal.
 */
async function explainRefusal(kafka: Kafka, error: unknown, groupId: string, topics: string[], phase: 'subscribe' | 'run'): Promise<KafkitError | undefined> {
  if (!mayBeRefusal(error)) return undefined
  if (isGroupAuthorizationFailure(error)) return groupAuthorizationError(groupId, error)
  const topicRefused = isTopicAuthorizationFailure(error)
  const probe = await bounded(probeAuthorization(kafka, { topics: topicRefused ? topics : [], ...(topicRefused ? {} : { groupId }) }), PROBE_TIMEOUT_MS, 'authorization probe').catch((): AuthorizationProbe => ({}))
  if (!topicRefused) {
    const refusal = probe.groupError as { type?: string } | undefined
    return refusal?.type === GROUP_AUTHORIZATION_FAILED ? groupAuthorizationError(groupId, probe.groupError) : undefined
  }
  const refused = [...(probe.topicCodes ?? [])].filter(([, code]) => code !== 0 && protocolError(code).type === TOPIC_AUTHORIZATION_FAILED).map(([topic]) => topic)
  if (refused.length > 0) return topicReadAuthorizationError(refused, 'metadata', groupId, error)
  // Described, yet refused: at subscribe a Metadata refusal the probe no longer sees; later a Fetch (READ missing).
  return topicReadAuthorizationError(topics, phase === 'subscribe' ? 'metadata' : 'fetch', groupId, error)
}

function toEngineBatch(payload: EachBatchPayload, commits: OffsetCommits, changed: (error: unknown) => void): PipelineBatch {
  const { batch } = payload
  return {
    topic: batch.topic,
    partition: batch.partition,
    // kafkajs' own message objects, as they are: they have what a batch record needs, and the
    // runtime makes a record with its place only where it needs one (a failure, a batch handler).
    records: batch.messages,
    nextOffset: String(BigInt(batch.lastOffset()) + 1n),
    resolveOffset: (offset) => payload.resolveOffset(offset),
    heartbeat: async () => {
      try {
        await payload.heartbeat()
      } catch (error) {
        changed(error)
        throw error
      }
    },
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
export function createConsumerDeps(transport: KafkajsTransport): ConsumerDeps {
  // Idempotent with the default delivery timeout: a dead letter or retry write rides through a failover too.
  const writer = recordWriter(transport, 120_000)
  const admin = transport.admin()
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
    sender: writer.sender,
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
      await Promise.allSettled([writer.release(), adminReady && admin.disconnect()])
    },
  }
}

/**
 * The writer of records kafkit makes itself (dead letters, retry-topic copies; replays write in transactions): an
 * idempotent acks=all producer with Java's murmur2 partitioner, so a dead letter lands where a
 * JVM producer would put its key, connected on first use; every record acknowledged or the
 * send rejects. `release()` disconnects it if it connected. A request is given up no later
 * than the delivery timeout (its acks wait 5 s less), so a broker that takes a request and
 * never answers fails a send within `deliveryTimeoutMs` too.
 */
function recordWriter(transport: KafkajsTransport, deliveryTimeoutMs: number): { sender: RecordSender; release(): Promise<void> } {
  const requestTimeoutMs = Math.min(transport.config.requestTimeoutMs, deliveryTimeoutMs)
  const ackTimeoutMs = Math.max(1_000, Math.min(30_000, deliveryTimeoutMs - 5_000))
  const producer = transport.producer({ idempotent: true, allowAutoTopicCreation: false, maxInFlightRequests: 1, partitioner: createDefaultPartitioner(), deliveryTimeoutMs, requestTimeoutMs })
  let ready: Promise<void> | undefined
  return {
    sender: {
      async send(records) {
        try {
          await (ready ??= producer.connect())
        } catch (error) {
          ready = undefined
          throw error
        }
        const byTopic = new Map<string, WireMessage[]>()
        for (const r of records) {
          const list = byTopic.get(r.topic) ?? []
          list.push(toWireMessage(r))
          byTopic.set(r.topic, list)
        }
        await producer.send([...byTopic].map(([topic, messages]) => ({ topic, messages })), { acks: -1, compression: 'none', timeoutMs: ackTimeoutMs })
      },
    },
    release: async () => {
      if (ready !== undefined) await producer.disconnect()
    },
  }
}
