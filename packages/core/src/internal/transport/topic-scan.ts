import { randomBytes } from 'node:crypto'
import type { Kafka } from 'kafkajs'
import type { RawRecord } from '../../consumer/records.js'
import { toKafkitError } from './errors.js'

/**
 * Reads a topic from its start up to the end it had when the scan began, calling
 * `onRecord` for each record in partition order. Uses a throw-away group that never
 * commits, so scanning leaves no trace and sees everything retention kept.
 */
export async function scanTopic(kafka: Kafka, topic: string, onRecord: (record: RawRecord) => void | Promise<void>): Promise<void> {
  const admin = kafka.admin()
  let ends: Map<number, bigint>
  try {
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets(topic)
    ends = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]))
  } catch (error) {
    throw toKafkitError(error, { topic }, `read ${topic}`)
  } finally {
    await admin.disconnect().catch(() => {})
  }
  if (ends.size === 0) return
  const consumer = kafka.consumer({ groupId: `kafkit-scan-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 200 })
  const pending = new Set(ends.keys())
  let failed: unknown
  try {
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition)
            if (end === undefined || !pending.has(batch.partition)) return
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break
              try {
                await onRecord({ topic, partition: batch.partition, offset: m.offset, timestamp: m.timestamp, key: m.key ?? null, value: m.value ?? null, headers: (m.headers ?? {}) as RawRecord['headers'] })
              } catch (error) {
                failed = error
                return resolve()
              }
            }
            // Transaction markers and compaction leave gaps: the batch's last offset says how far we got.
            if (BigInt(batch.lastOffset()) + 1n >= end) pending.delete(batch.partition)
            if (pending.size === 0) resolve()
          },
        })
        .catch(reject)
    })
  } catch (error) {
    throw toKafkitError(error, { topic }, `read ${topic}`)
  } finally {
    await consumer.disconnect().catch(() => {})
  }
  if (failed !== undefined) throw failed
}
