// Contract: a broker that keeps its connections open and stops answering (its JVM SIGSTOPped, then SIGCONTed) is noticed within the bounds the docs give: a dead-letter read fails with a retriable KAFKIT_KAFKA once it got no further for its timeoutMs (not the 120 s default, nor the engine's 30 s request timeout plus a disconnect), and reads again once the broker answers; a running consumer that completed no fetch for maxPollIntervalMs is reported not live on /livez (503, naming it), and live again once fetches complete.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { type KafkaCluster, startKafka, uniqueName, waitFor } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineTopic, isKafkitError, Kafkit, type KafkitError, startOpsServer, string } from '../../src/index.js'
import { KafkitHeaders } from '../../src/runtime/headers.js'

let cluster: KafkaCluster
let brokerPid: number
let raw: InstanceType<typeof kafkajs.Kafka>
let admin: kafkajs.Admin
let producer: kafkajs.Producer
let kafka: Kafkit
// Both created before the broker is first silenced: a topic created right after a SIGCONT can meet a controller still catching up.
const dlq = `${uniqueName('silent-src')}.dlq`
const pollTopic = uniqueName('silent-poll')

/** The pid of the cluster's broker JVM (its command line carries the cluster's mark and Kafka's main class). */
function brokerPidOf(c: KafkaCluster): number {
  const mark = `-Dkafkit.cluster=${dirname(c.logDir)}`
  const pids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
        return args.includes(mark) && args.includes('kafka.Kafka')
      } catch {
        return false
      }
    })
  expect(pids).toHaveLength(1)
  return Number(pids[0])
}

let silent = false
/** The broker keeps its sockets (the kernel still accepts connections) and answers nothing. */
function silence(): void {
  process.kill(brokerPid, 'SIGSTOP')
  silent = true
}
function answer(): void {
  if (silent) process.kill(brokerPid, 'SIGCONT')
  silent = false
}

beforeAll(async () => {
  cluster = await startKafka({ backend: 'jvm', brokers: 1, log: () => {} })
  brokerPid = brokerPidOf(cluster)
  raw = new kafkajs.Kafka({ clientId: 'kafkit-broker-silent-test', brokers: cluster.brokers, logLevel: kafkajs.logLevel.NOTHING })
  admin = raw.admin()
  producer = raw.producer()
  await Promise.all([admin.connect(), producer.connect()])
  await admin.createTopics({ waitForLeaders: true, topics: [dlq, pollTopic].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) })
  kafka = new Kafkit({ clientId: 'kafkit-broker-silent-test', brokers: cluster.brokers, logLevel: 'nothing' })
}, 180_000)

afterAll(async () => {
  // A stopped JVM would not take the SIGTERM of the cluster's stop.
  answer()
  await kafka?.close()
  await Promise.allSettled([admin?.disconnect(), producer?.disconnect()])
  await cluster?.stop()
})

/** Settles with `promise`, or rejects after `ms`: a hang is a failure with a message, not a test timeout. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer))
}

/** A dead-letter read that failed as the docs say: a retriable KAFKIT_KAFKA naming the topic and the bound. */
function expectStalledRead(error: unknown, timeoutMs: number): void {
  expect(isKafkitError(error), String(error)).toBe(true)
  expect((error as KafkitError).code).toBe('KAFKIT_KAFKA')
  expect((error as KafkitError).retriable).toBe(true)
  expect((error as KafkitError).message).toContain(dlq)
  expect((error as KafkitError).message).toContain(`${timeoutMs} ms`)
}

/** Reads the whole dead-letter topic with `tool`, once the broker answers again. */
async function readAll(tool: ReturnType<Kafkit['deadLetters']>): Promise<number> {
  let read = 0
  await within((async () => {
    for await (const _ of tool.stream({}, { timeoutMs: 30_000 })) read++
  })(), 60_000, 'the read after SIGCONT')
  return read
}

describe('a broker that stops answering', () => {
  it('fails a dead-letter read with a retriable KAFKIT_KAFKA once it got no further for timeoutMs, and reads again once the broker answers', async () => {
    // 6,000 dead letters of 2 KB: more than the scan buffers (2,000 records and a fetch), so it is still fetching when the broker goes silent.
    const count = 6_000
    for (let from = 0; from < count; from += 400) {
      await producer.send({
        topic: dlq,
        acks: -1,
        messages: Array.from({ length: 400 }, (_, k) => ({ key: `k${from + k}`, value: `${from + k} ${'.'.repeat(2_000)}`, headers: { [KafkitHeaders.originalTopic]: 'src', [KafkitHeaders.errorCode]: 'KAFKIT_HANDLER' } })),
      })
    }
    const timeoutMs = 4_000
    const tool = kafka.deadLetters(dlq)
    let read = 0
    let silentAt = 0
    const reading = (async () => {
      for await (const _ of tool.stream({}, { timeoutMs })) {
        if (++read === 1) {
          silence()
          silentAt = Date.now()
        }
      }
    })()
    const error = await within(reading.then(() => undefined, (e: unknown) => e), 60_000, 'the read')
    const failedAfterMs = Date.now() - silentAt
    answer()
    expectStalledRead(error, timeoutMs)
    expect(read).toBeGreaterThan(0)
    expect(read).toBeLessThan(count)
    // timeoutMs after the last progress (the broker went silent right after the first record),
    // plus the watchdog's tick and the release of the scan's consumer: well under the engine's 30 s request timeout.
    expect(failedAfterMs).toBeGreaterThanOrEqual(timeoutMs)
    expect(failedAfterMs).toBeLessThan(timeoutMs + 10_000)

    // The same read once the broker answers again: every record.
    expect(await readAll(tool)).toBe(count)
  })

  it('fails a dead-letter read that starts while the broker is silent (connect, metadata, group join) with a retriable KAFKIT_KAFKA within timeoutMs, and reads once it answers', async () => {
    // A client of its own, started while the broker is silent: nothing is connected or cached yet.
    const fresh = new Kafkit({ clientId: 'kafkit-broker-silent-fresh', brokers: cluster.brokers, logLevel: 'nothing' })
    const timeoutMs = 4_000
    try {
      silence()
      const silentAt = Date.now()
      const error = await within(
        (async () => {
          for await (const _ of fresh.deadLetters(dlq).stream({}, { timeoutMs })) {
            // Nothing can be read from a broker that does not answer.
          }
        })().then(() => undefined, (e: unknown) => e),
        60_000,
        'the read started while the broker is silent',
      )
      const failedAfterMs = Date.now() - silentAt
      answer()
      expectStalledRead(error, timeoutMs)
      // Bounded by timeoutMs (plus the watchdog's tick), not by the engine's 30 s request timeout.
      expect(failedAfterMs).toBeLessThan(timeoutMs + 10_000)
      // Once the broker answers, the same client reads every dead letter there is.
      const high = Number((await admin.fetchTopicOffsets(dlq))[0]!.high)
      expect(await readAll(fresh.deadLetters(dlq))).toBe(high)
    } finally {
      answer()
      await fresh.close()
    }
  })

  it('reports a running consumer not live on /livez once it completed no fetch for maxPollIntervalMs, and live again when fetches complete', async () => {
    const topic = pollTopic
    const groupId = uniqueName('g')
    // No dead-letter topic to create at start: right after the first test's SIGCONT the broker can answer CreateTopics with an unknown server error for a moment.
    const consumer = kafka.consumer({ groupId, shutdown: false, heartbeatIntervalMs: 500, sessionTimeoutMs: 30_000, maxWaitTimeMs: 200, deadLetter: false })
    consumer.handle(defineTopic({ name: topic, key: string(), value: string() }), async () => {})
    const maxPollIntervalMs = 3_000
    const ops = await startOpsServer(kafka, { port: 0, host: '127.0.0.1', maxPollIntervalMs })
    const livez = async () => {
      const res = await fetch(`${ops.url}/livez`)
      return { status: res.status, report: (await res.json()) as { live: boolean; problems: string[]; consumers: { groupId: string; state: string; lastPollAgeMs?: number }[] } }
    }
    try {
      await consumer.start()
      await waitFor(async () => (await livez()).status === 200 && kafka.health().consumers.some((c) => c.groupId === groupId && c.lastPollAt !== undefined), { timeoutMs: 30_000, message: 'the consumer polls' })

      silence()
      const silentAt = Date.now()
      // Still running (the engine's request timeout, 30 s, has not run out), but no fetch completes.
      const dead = await waitFor(async () => {
        const probe = await livez()
        return probe.status === 503 ? probe : undefined
      }, { timeoutMs: 20_000, intervalMs: 250, message: '/livez answers 503' })
      const notLiveAfterMs = Date.now() - silentAt
      answer()
      expect(dead.report.live).toBe(false)
      const mine = dead.report.consumers.find((c) => c.groupId === groupId)
      expect(mine?.state).toBe('running')
      expect(mine!.lastPollAgeMs!).toBeGreaterThan(maxPollIntervalMs)
      expect(dead.report.problems.join('\n')).toContain(`consumer ${groupId} has not completed a poll`)
      expect(notLiveAfterMs).toBeLessThan(maxPollIntervalMs + 5_000)

      // Fetches complete again: live.
      await waitFor(async () => (await livez()).status === 200, { timeoutMs: 30_000, intervalMs: 250, message: '/livez answers 200 again' })
    } finally {
      answer()
      await ops.close()
      await consumer.stop()
    }
  })
})
