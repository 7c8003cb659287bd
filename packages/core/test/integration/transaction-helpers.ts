// Plain kafkajs readers for the transaction and pipeline integration tests, with an
// explicit isolation level, so what a read_committed consumer can see is checked without
// going through kafkit. Not a test file.
import { uniqueName, waitFor } from '@kafkit/testkit'
import kafkajs from 'kafkajs'

export interface SeenRecord {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: string
}

function client(brokers: string[]) {
  return new kafkajs.Kafka({ clientId: 'kafkit-txn-test-reader', brokers, logLevel: kafkajs.logLevel.NOTHING })
}

/**
 * Reads `topics` from the beginning with the given isolation level until `done(records)`
 * holds, and returns everything read by then.
 */
export async function readUntil(
  brokers: string[],
  topics: string[],
  done: (records: SeenRecord[]) => boolean,
  options: { readUncommitted?: boolean; timeoutMs?: number; message?: string } = {},
): Promise<SeenRecord[]> {
  const consumer = client(brokers).consumer({
    groupId: uniqueName('txn-reader'),
    readUncommitted: options.readUncommitted ?? false,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 200,
  })
  const records: SeenRecord[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        records.push({ topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? '' })
      },
    })
    await waitFor(() => done(records), { timeoutMs: options.timeoutMs ?? 60_000, message: options.message ?? `records of ${topics.join(', ')}` })
  } finally {
    await consumer.disconnect()
  }
  return records
}

/** Committed offsets of a group on a topic, by partition (`-1`: none). */
export async function committedOffsets(brokers: string[], groupId: string, topic: string): Promise<Map<number, string>> {
  const admin = client(brokers).admin()
  await admin.connect()
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]))
  } finally {
    await admin.disconnect()
  }
}

/** Last stable offsets (what read_committed readers may read up to), by partition. */
export async function lastStableOffsets(brokers: string[], topic: string): Promise<Map<number, string>> {
  const admin = client(brokers).admin()
  await admin.connect()
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]))
  } finally {
    await admin.disconnect()
  }
}

/**
 * The last stable offsets once they stopped moving (the same twice, 500 ms apart; at most
 * 10 s): a transactional write resolves once its commit is logged, and the markers that move
 * the last stable offset past it reach the partitions a moment later.
 */
async function settledStableOffsets(brokers: string[], topic: string): Promise<Map<number, string>> {
  const same = (a: Map<number, string>, b: Map<number, string>) => a.size === b.size && [...a].every(([p, end]) => b.get(p) === end)
  let last = await lastStableOffsets(brokers, topic)
  for (const until = Date.now() + 10_000; Date.now() < until; ) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    const now = await lastStableOffsets(brokers, topic)
    if (same(last, now)) return now
    last = now
  }
  return last
}

/**
 * Reads a whole topic as a read_committed consumer sees it: from the start up to the last
 * stable offset each partition had when the read began, once settled (transaction markers included in
 * the reach, so a partition ending in a marker or an aborted batch, or holding nothing
 * else, still completes).
 */
export async function readCommitted(brokers: string[], topic: string): Promise<SeenRecord[]> {
  const ends = new Map([...(await settledStableOffsets(brokers, topic))].filter(([, end]) => BigInt(end) > 0n).map(([p, end]) => [p, BigInt(end)]))
  const records: SeenRecord[] = []
  if (ends.size === 0) return records
  const consumer = client(brokers).consumer({ groupId: uniqueName('txn-scan'), readUncommitted: false, maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 500 })
  const pending = new Set(ends.keys())
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    // A batch filtered empty (only aborted records and markers) never reaches eachBatch, but reports how far it went.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const end = ends.get(payload.partition)
      if (payload.topic === topic && payload.batchSize === 0 && end !== undefined && payload.lastOffset != null && BigInt(payload.lastOffset) + 1n >= end) pending.delete(payload.partition)
    })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition)
        if (end === undefined || !pending.has(batch.partition)) return
        for (const m of batch.messages) {
          if (BigInt(m.offset) >= end) break
          records.push({ topic, partition: batch.partition, offset: m.offset, key: m.key?.toString('utf8') ?? null, value: m.value?.toString('utf8') ?? '' })
        }
        if (BigInt(batch.lastOffset()) + 1n >= end) pending.delete(batch.partition)
      },
    })
    await waitFor(() => pending.size === 0, { timeoutMs: 60_000, message: `read ${topic} to its last stable offsets` })
  } finally {
    await consumer.disconnect()
  }
  return records
}

/** True once the group committed every input partition up to its end. */
export async function groupCaughtUp(brokers: string[], groupId: string, topic: string): Promise<boolean> {
  const [committed, ends] = await Promise.all([committedOffsets(brokers, groupId, topic), lastStableOffsets(brokers, topic)])
  return [...ends].every(([partition, end]) => BigInt(end) === 0n || committed.get(partition) === end)
}

