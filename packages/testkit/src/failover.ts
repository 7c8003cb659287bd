/**
 * Fault injection for delivery tests and benchmarks: which broker leads which partition,
 * a schedule that `kill -9`s the busiest leader and restarts it, and an audit that reads a
 * topic back and counts what was lost or written twice.
 */
import { Kafka, logLevel } from 'kafkajs'
import type { KafkaCluster } from './types.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function client(brokers: string[]) {
  return new Kafka({ clientId: 'kafkit-testkit-failover', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } })
}

/**
 * The leader of every partition of `topic`, as a broker index of the cluster (the testkit
 * gives broker `i` the node id `i`); `-1` for a partition without a leader right now.
 */
export async function partitionLeaders(brokers: string[], topic: string): Promise<Map<number, number>> {
  const admin = client(brokers).admin()
  await admin.connect()
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    const leaders = new Map<number, number>()
    for (const partition of topics[0]?.partitions ?? []) leaders.set(partition.partitionId, partition.leader)
    return leaders
  } finally {
    await admin.disconnect()
  }
}

/** The broker that leads the most partitions of `topic` (the lowest index on a tie). */
export async function busiestLeader(brokers: string[], topic: string): Promise<number> {
  const counts = new Map<number, number>()
  for (const leader of (await partitionLeaders(brokers, topic)).values()) if (leader >= 0) counts.set(leader, (counts.get(leader) ?? 0) + 1)
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])
  if (sorted.length === 0) throw new Error(`no partition of ${topic} has a leader`)
  return sorted[0]![0]
}

/** One kill of a {@link killLeaders} schedule. */
export interface KillEvent {
  broker: number
  /** Partitions it led when killed. */
  partitions: number[]
  /** Milliseconds since the schedule started. */
  killedAtMs: number
  restartedAtMs: number
}

/** Options of {@link killLeaders}. */
export interface KillScheduleOptions {
  /** How many kills. @default 2 */
  kills?: number
  /** Wait before the first kill. @default 3_000 */
  firstAfterMs?: number
  /** How long a killed broker stays down, from the kill. @default 10_000 */
  downMs?: number
  /** Wait after a restart before the next kill. @default 3_000 */
  betweenMs?: number
  log?: (line: string) => void
}

/**
 * `kill -9`s the broker leading the most partitions of `topic`, restarts it `downMs` later on
 * the same address and data, and repeats: a partition leader failover each time, while a
 * quorum of replicas stays up (with replication factor 3 and `min.insync.replicas=2`).
 */
export async function killLeaders(cluster: KafkaCluster, topic: string, options: KillScheduleOptions = {}): Promise<KillEvent[]> {
  const { kills = 2, firstAfterMs = 3_000, downMs = 10_000, betweenMs = 3_000, log = () => {} } = options
  const started = Date.now()
  const events: KillEvent[] = []
  await sleep(firstAfterMs)
  for (let kill = 0; kill < kills; kill++) {
    if (kill > 0) await sleep(betweenMs)
    const leaders = await partitionLeaders(cluster.brokers, topic)
    const broker = await busiestLeader(cluster.brokers, topic)
    const partitions = [...leaders].filter(([, leader]) => leader === broker).map(([partition]) => partition)
    const killedAt = Date.now()
    log(`kill -9 broker ${broker} (leader of partitions ${partitions.join(',')}) at ${killedAt - started} ms`)
    await cluster.stopBroker(broker)
    await sleep(Math.max(0, killedAt + downMs - Date.now()))
    await cluster.startBroker(broker)
    log(`broker ${broker} serves again at ${Date.now() - started} ms`)
    events.push({ broker, partitions, killedAtMs: killedAt - started, restartedAtMs: Date.now() - started })
  }
  return events
}

/** What {@link auditTopic} found. */
export interface TopicAudit {
  /** Records in the topic. */
  records: number
  /** Acknowledged ids that are not in the topic. */
  lost: string[]
  /** Ids found more than once, with their count. */
  duplicated: Map<string, number>
  /** Ids in the topic that were never acknowledged (written by a send that failed, or not yet answered). */
  unacknowledged: string[]
  /** Records found after a record of the same stream with a higher sequence, in one partition (with `orderOf`). */
  outOfOrder: number
}

/**
 * The high watermark of every partition. Right after a leader was killed or restarted, kafkajs
 * may still ask the old leader, and its fetchTopicOffsets gives up at once on the retriable
 * NOT_LEADER_OR_FOLLOWER: a new admin (with fresh metadata) asks again, for up to ~10 s.
 */
async function highWatermarks(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  for (let attempt = 1; ; attempt++) {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const ends = new Map<number, bigint>()
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends.set(partition, BigInt(high))
      return ends
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || attempt >= 20) throw error
    } finally {
      await admin.disconnect()
    }
    await sleep(500)
  }
}

/**
 * Reads every record of `topic` (up to its high watermarks, read_uncommitted) and compares the
 * ids found (`idOf` of each value) with those whose send was acknowledged.
 */
export async function auditTopic(
  brokers: string[],
  topic: string,
  acknowledged: Iterable<string>,
  idOf: (value: Buffer) => string,
  orderOf?: (value: Buffer) => { stream: string; seq: number },
): Promise<TopicAudit> {
  const kafka = client(brokers)
  const ends = await highWatermarks(kafka, topic)
  const total = [...ends.values()].reduce((sum, high) => sum + Number(high), 0)
  const seen = new Map<string, number>()
  let records = 0
  let outOfOrder = 0
  const last = new Map<string, number>()
  const consumer = kafka.consumer({ groupId: `kafkit-audit-${process.pid}-${Date.now()}`, readUncommitted: true, sessionTimeout: 10_000, heartbeatInterval: 500 } as never)
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    const done = new Promise<void>((resolve, reject) => {
      if (total === 0) resolve()
      // A run that fails (the group join gave up) fails the audit, never an unhandled rejection.
      consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            if (message.value === null) continue
            records++
            const id = idOf(message.value)
            seen.set(id, (seen.get(id) ?? 0) + 1)
            if (orderOf !== undefined) {
              const { stream, seq } = orderOf(message.value)
              const key = `${batch.partition}/${stream}`
              const previous = last.get(key)
              if (previous !== undefined && seq < previous) outOfOrder++
              last.set(key, Math.max(seq, previous ?? seq))
            }
          }
          if (records >= total) resolve()
        },
      }).catch(reject)
    })
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`audit of ${topic}: read ${records} of ${total} records in 120 s`)), 120_000)
    })
    try {
      await Promise.race([done, timeout])
    } finally {
      clearTimeout(timer)
    }
  } finally {
    await consumer.disconnect()
  }
  const acked = new Set(acknowledged)
  return {
    records,
    lost: [...acked].filter((id) => !seen.has(id)),
    duplicated: new Map([...seen].filter(([, count]) => count > 1)),
    unacknowledged: [...seen.keys()].filter((id) => !acked.has(id)),
    outOfOrder,
  }
}
