import { randomBytes } from 'node:crypto'
import type { Kafka } from 'kafkajs'
import type { RawRecord } from '../../consumer/records.js'
import { KafkitError } from '../../errors.js'
import { toKafkitError } from './errors.js'

/** How long a scan may take by default before it fails instead of waiting on. */
export const SCAN_TIMEOUT_MS = 120_000

/**
 * Reads a topic from its start up to the end it had when the scan began, calling
 * `onRecord` for each record in partition order. Uses a throw-away group that never
 * commits, so scanning leaves no trace and sees everything retention kept.
 *
 * A partition is done when the consumer's position reaches the end offset, whether or not
 * a record was delivered on the way: a partition whose tail is an aborted transaction or
 * transaction markers (a pipeline's dead-letter topic) delivers no record there, only the
 * engine's end-of-batch event. A scan that cannot reach its end (a transaction still open
 * at the tail) fails after `timeoutMs` rather than waiting for ever.
 */
export async function scanTopic(kafka: Kafka, topic: string, onRecord: (record: RawRecord) => void | Promise<void>, timeoutMs = SCAN_TIMEOUT_MS): Promise<void> {
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
  let timer: NodeJS.Timeout | undefined
  try {
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const reached = (partition: number, lastOffset: string | undefined) => {
        const end = ends.get(partition)
        if (end === undefined || lastOffset === undefined || lastOffset === null) return
        if (BigInt(lastOffset) + 1n >= end) pending.delete(partition)
        if (pending.size === 0) resolve()
      }
      // Batches the engine filtered empty (aborted records, markers) still report how far they went.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic === topic) reached(payload.partition, payload.lastOffset)
      })
      timer = setTimeout(() => {
        const short = [...pending].map((partition) => `${partition} (end ${ends.get(partition)})`).join(', ')
        reject(
          new KafkitError('KAFKIT_KAFKA', `read ${topic}: partitions ${short} did not reach their end offset within ${timeoutMs} ms (a broker unreachable, or the partition truncated while it was read); try again, or raise the timeout`, {
            retriable: true,
            context: { topic, timeoutMs, partitions: [...pending] },
          }),
        )
      }, timeoutMs)
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
            reached(batch.partition, batch.lastOffset())
          },
        })
        .catch(reject)
    })
  } catch (error) {
    throw toKafkitError(error, { topic }, `read ${topic}`)
  } finally {
    clearTimeout(timer)
    await consumer.disconnect().catch(() => {})
  }
  if (failed !== undefined) throw failed
}
