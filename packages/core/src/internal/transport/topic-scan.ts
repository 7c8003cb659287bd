import { randomBytes } from 'node:crypto'
import type { Kafka } from 'kafkajs'
import type { RawRecord } from '../../runtime/records.js'
import { KafkitError } from '../../errors.js'
import { toKafkitError } from './errors.js'
import type { TopicScanOptions } from './types.js'

/** How long a scan may go without getting any further before it fails instead of waiting on. */
export const SCAN_TIMEOUT_MS = 120_000

/** How long a failed scan waits for its consumer's release before it throws. */
const RELEASE_WAIT_MS = 1_000

/** Records a scan holds at most before it stops fetching until the reader catches up. */
export const SCAN_BUFFER_RECORDS = 2_000

/**
 * Reads a topic from its start (or `from`) up to the end it had when the scan began, as an
 * async iterable, in partition order, in constant memory: at most `bufferRecords` records
 * wait for the reader (plus one fetch), and fetching stops (heartbeating on) while the
 * reader is behind. Breaking out of the loop ends the scan and releases its consumer. Uses a
 * throw-away group that never commits, so scanning leaves no trace and sees everything
 * retention kept.
 *
 * A partition is done when the consumer's position reaches the end offset, whether or not
 * a record was delivered on the way: a partition whose tail is an aborted transaction or
 * transaction markers (a pipeline's dead-letter topic) delivers no record there, only the
 * engine's end-of-batch event. The end is the last stable offset, so a transaction still
 * open at the tail is not waited for.
 * @throws KafkitError `KAFKIT_KAFKA` (retriable) when the scan got no further within `timeoutMs`
 */
export async function* streamTopic(kafka: Kafka, topic: string, options: TopicScanOptions = {}): AsyncGenerator<RawRecord, void, undefined> {
  const timeoutMs = options.timeoutMs ?? SCAN_TIMEOUT_MS
  const capacity = Math.max(1, options.bufferRecords ?? SCAN_BUFFER_RECORDS)
  const wanted = options.partitions === undefined ? undefined : new Set(options.partitions)
  const ends = new Map<number, bigint>()
  const starts = new Map<number, bigint>()
  const admin = kafka.admin()
  try {
    await admin.connect()
    for (const o of await admin.fetchTopicOffsets(topic)) {
      if (wanted !== undefined && !wanted.has(o.partition)) continue
      const from = options.from?.get(o.partition)
      const start = from === undefined || BigInt(from) < BigInt(o.low) ? BigInt(o.low) : BigInt(from)
      if (BigInt(o.high) > start) {
        ends.set(o.partition, BigInt(o.high))
        starts.set(o.partition, start)
      }
    }
  } catch (error) {
    throw toKafkitError(error, { topic }, `read ${topic}`)
  } finally {
    await admin.disconnect().catch(() => {})
  }
  const partitions = [...ends.keys()].sort((a, b) => a - b)
  options.onStart?.({
    total: partitions.reduce((sum, p) => sum + Number(ends.get(p)! - starts.get(p)!), 0),
    partitions: partitions.map((p) => ({ partition: p, start: String(starts.get(p)), end: String(ends.get(p)) })),
  })
  if (ends.size === 0) return

  // read_committed, said outright: a replay relies on it to read its ledger (and the dead letters) without aborted or open transactions.
  const consumer = kafka.consumer({ groupId: `kafkit-scan-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 200, readUncommitted: false })
  const pending = new Set(ends.keys())
  // The next offset to hand out per partition: a batch delivered again (the engine rejoined
  // its throw-away group after a crash, and starts over) yields nothing twice.
  const next = new Map(starts)
  const queue: RawRecord[] = []
  let head = 0
  let failure: unknown
  let finished = false
  let progressAt = Date.now()
  // The reader waits on `wakeReader`; a full queue makes the fetch loop wait on `wakeFetcher`.
  let wakeReader: (() => void) | undefined
  let wakeFetcher: (() => void) | undefined
  const notifyReader = () => {
    const wake = wakeReader
    wakeReader = undefined
    wake?.()
  }
  const finish = (error?: unknown) => {
    if (error !== undefined && failure === undefined) failure = error
    finished = true
    notifyReader()
    wakeFetcher?.()
  }
  const reached = (partition: number, lastOffset: string | undefined | null) => {
    const end = ends.get(partition)
    if (end === undefined || lastOffset === undefined || lastOffset === null) return
    progressAt = Date.now()
    if (BigInt(lastOffset) + 1n >= end) pending.delete(partition)
    if (pending.size === 0) finish()
  }
  const watchdog = setInterval(() => {
    // Nothing left to fetch, or the reader holds the queue full: the time is the reader's, not the scan's.
    if (finished) return
    if (queue.length - head >= capacity) progressAt = Date.now()
    if (Date.now() - progressAt <= timeoutMs) return
    const short = [...pending].map((partition) => `${partition} (end ${ends.get(partition)})`).join(', ')
    finish(
      new KafkitError('KAFKIT_KAFKA', `read ${topic}: partitions ${short} got no further for ${timeoutMs} ms (a broker unreachable, or the partition truncated while it was read); try again, or raise the timeout`, {
        retriable: true,
        context: { topic, timeoutMs, partitions: [...pending] },
      }),
    )
  }, Math.min(1_000, Math.max(10, Math.floor(timeoutMs / 4))))
  watchdog.unref?.()

  try {
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    // Batches the engine filtered empty (aborted records, markers) never reach eachBatch but
    // still report how far they went. Only those: a batch eachBatch left early (stopping,
    // stale) ends with this event too, and must not count as read to its last offset.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === topic && payload.batchSize === 0) reached(payload.partition, payload.lastOffset)
    })
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) finish(payload.error)
    })
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat, pause, isRunning, isStale }) => {
        const end = ends.get(batch.partition)
        if (end === undefined || !pending.has(batch.partition)) {
          // Not scanned, or done: stop fetching it.
          pause()
          return
        }
        for (const m of batch.messages) {
          if (BigInt(m.offset) >= end) break
          const offset = BigInt(m.offset)
          if (offset < (next.get(batch.partition) ?? 0n)) continue
          while (queue.length - head >= capacity && !finished) {
            // Backpressure: wait for the reader, keeping the throw-away group's membership.
            await new Promise<void>((resolve) => {
              wakeFetcher = resolve
              setTimeout(resolve, 1_000).unref?.()
            })
            wakeFetcher = undefined
            if (finished || !isRunning() || isStale()) return
            await heartbeat().catch(() => {})
          }
          if (finished) return
          next.set(batch.partition, offset + 1n)
          queue.push({ topic, partition: batch.partition, offset: m.offset, timestamp: m.timestamp, key: m.key ?? null, value: m.value ?? null, headers: (m.headers ?? {}) as RawRecord['headers'] })
          progressAt = Date.now()
          notifyReader()
        }
        // Transaction markers and compaction leave gaps: the batch's last offset says how far we got.
        reached(batch.partition, batch.lastOffset())
      },
    })
    // A scan that starts inside a partition (an inspect): kafkajs applies the seek on its first fetch.
    for (const [partition, start] of starts) if (options.from?.has(partition)) consumer.seek({ topic, partition, offset: String(start) })

    for (;;) {
      if (head < queue.length) {
        const record = queue[head] as RawRecord
        queue[head++] = undefined as never
        if (head >= 1_024 && head * 2 >= queue.length) {
          queue.splice(0, head)
          head = 0
        }
        if (queue.length - head < capacity) wakeFetcher?.()
        yield record
        continue
      }
      if (finished) break
      await new Promise<void>((resolve) => (wakeReader = resolve))
    }
    if (failure !== undefined) throw failure
  } catch (error) {
    failure ??= error
    throw toKafkitError(error, { topic }, `read ${topic}`)
  } finally {
    finished = true
    clearInterval(watchdog)
    wakeFetcher?.()
    const released = consumer.disconnect().catch(() => {})
    // The release is waited for a moment only, whether the scan failed or its reader stopped
    // early (a replay whose sends failed): against a broker that stopped answering, kafkajs lets
    // the fetch in flight run out its request timeout (30 s), then asks the silent broker to
    // leave the group, another 30 s. It goes on in the background; the error is the caller's now.
    await Promise.race([released, new Promise<void>((resolve) => setTimeout(resolve, RELEASE_WAIT_MS).unref?.())])
  }
}

/**
 * Reads a topic to the end it had when the scan began, calling `onRecord` for each record
 * in partition order (awaited: a slow callback slows the scan, it does not buffer). See
 * {@link streamTopic}.
 */
export async function scanTopic(kafka: Kafka, topic: string, onRecord: (record: RawRecord) => void | Promise<void>, timeoutMs = SCAN_TIMEOUT_MS): Promise<void> {
  for await (const record of streamTopic(kafka, topic, { timeoutMs })) await onRecord(record)
}
