// End-to-end latency, producer -> broker -> consumer handler, 1 KB JSON+zod, 6 partitions,
// acks=all, idempotent: each record carries its send time, the handler (kafkit `handle`, raw
// kafkajs `eachMessage` with the same decode, @platformatic/kafka's stream) takes the
// difference; p50/p99/p99.9 per round, median over rounds. First at the maximum (64 callers
// each awaiting a one-record send, closed loop), then at a fixed rate of half the lower of
// kafkit's and kafkajs' maximum (open loop: records sent when due, never waiting), the same
// rate for every client. Java: Kafka's EndToEndLatency, one record at a time (unloaded).
import { uniqueName } from '@kafkit/testkit'
import type { Kafkit } from '@kafkit/core'
import type kafkajs from 'kafkajs'
import { type BenchContext, median, medianOf, percentile, peerRow, type Row, rotated, size } from '../measure.js'
import { notRunNote } from '../peers/index.js'
import { decodeByHand, deferred, Event, eventTopic, eventValue, jsonBytes, kafkajsClient, kafkajsProducer, kafkitClient, now, PARTITIONS, PAYLOAD_1KB } from '../workload.js'

const CALLERS = 64

interface Latencies {
  rate: number
  p50: number
  p99: number
  p999: number
  sent: number
  received: number
}

/** One client: a consumer that reports each value's `at`, and a send. */
interface Client {
  /** Starts a fresh group at the topic's end; resolves once it runs. */
  consume(onValue: (id: string, at: number) => void): Promise<() => Promise<void>>
  send(n: number, at: number): Promise<unknown>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One round: consumer joined (a probe came through), then load for `durationMs`, then wait for every record. */
async function round(client: Client, durationMs: number, rate: number): Promise<Latencies> {
  const latencies: number[] = []
  let measuring = false
  const probe = deferred<void>()
  const stop = await client.consume((id, at) => {
    if (id === 'probe') probe.resolve()
    else if (measuring) latencies.push(now() - at)
  })
  const probing = setInterval(() => void client.send(-1, 0).catch(() => {}), 200)
  await probe.promise
  clearInterval(probing)
  measuring = true
  const start = performance.now()
  const end = start + durationMs
  let sent = 0
  if (rate > 0) {
    const pending: Promise<unknown>[] = []
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate)
      while (sent < due) pending.push(client.send(sent++, now()))
      await sleep(1)
    }
    await Promise.all(pending)
  } else {
    const caller = async (c: number) => {
      for (let n = c; performance.now() < end; n += CALLERS) {
        await client.send(n, now())
        sent++
      }
    }
    await Promise.all(Array.from({ length: CALLERS }, (_, c) => caller(c)))
  }
  const elapsed = performance.now() - start
  const deadline = performance.now() + 30_000
  while (latencies.length < sent && performance.now() < deadline) await sleep(20)
  await stop()
  latencies.sort((a, b) => a - b)
  return { rate: sent / (elapsed / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), p999: percentile(latencies, 99.9), sent, received: latencies.length }
}

function kafkitSide(kafka: Kafkit, topic: ReturnType<typeof eventTopic>, payload: string): Client {
  const producer = kafka.producer()
  return {
    async consume(onValue) {
      const consumer = kafka.consumer({ groupId: uniqueName('bench-lat-g'), shutdown: false })
      consumer.handle(topic, ({ value }) => onValue(value.id, value.at))
      await consumer.start()
      return () => consumer.stop()
    },
    send: (n, at) => producer.send(topic, n < 0 ? { key: 'probe', value: { id: 'probe', kind: 'a', at: 0, payload: '' } } : { key: `key-${n % 500}`, value: eventValue(n, at, payload) }),
  }
}

function kafkajsSide(raw: kafkajs.Kafka, producer: kafkajs.Producer, topic: string, payload: string): Client {
  return {
    async consume(onValue) {
      const consumer = raw.consumer({ groupId: uniqueName('bench-lat-raw-g') })
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: false })
      await consumer.run({
        eachMessage: async ({ message }) => {
          const { value } = decodeByHand(message)
          onValue(value.id, value.at)
        },
      })
      return () => consumer.disconnect()
    },
    send: (n, at) => {
      const value = n < 0 ? { id: 'probe', kind: 'a' as const, at: 0, payload: '' } : eventValue(n, at, payload)
      return producer.send({ topic, acks: -1, messages: [{ key: n < 0 ? 'probe' : `key-${n % 500}`, value: Buffer.from(JSON.stringify(Event.parse(value)), 'utf8') }] })
    },
  }
}

export async function run(context: BenchContext): Promise<Row[]> {
  const { brokers, peers } = context
  const durationMs = size(context, 3_000, 1_500)
  const rounds = size(context, 3, 1)
  const payload = 'x'.repeat(PAYLOAD_1KB)
  const bytes = jsonBytes(PAYLOAD_1KB)
  const kafka = kafkitClient(brokers, 'bench-latency')
  const raw = kafkajsClient(brokers, 'bench-latency-raw')
  const rawProducer = kafkajsProducer(raw)
  try {
    const topics = { kafkit: eventTopic(uniqueName('bench-lat-kafkit')), kafkajs: eventTopic(uniqueName('bench-lat-raw')), platformatic: eventTopic(uniqueName('bench-lat-plt')) }
    const javaTopic = uniqueName('bench-lat-java')
    await kafka.admin().ensureTopics([...Object.values(topics), { ...eventTopic(javaTopic), partitions: 1 }])
    await rawProducer.connect()
    const kafkit = kafkitSide(kafka, topics.kafkit, payload)
    const kafkajs = kafkajsSide(raw, rawProducer, topics.kafkajs.name, payload)
    const platformatic = peers.platformatic
    const plt = (rate: number) => async () => (platformatic as Exclude<typeof platformatic, { notRun: string }>).run<Latencies>({ mode: 'latency', topic: topics.platformatic.name, durationMs, rate, callers: CALLERS, payloadBytes: PAYLOAD_1KB, groupId: uniqueName('bench-lat-plt-g') })
    const sidesAt = (rate: number) => {
      const sides: Record<string, () => Promise<Latencies>> = { kafkit: () => round(kafkit, durationMs, rate), kafkajs: () => round(kafkajs, durationMs, rate) }
      if (!('notRun' in platformatic)) sides['platformatic'] = plt(rate)
      return sides
    }
    const atMax = await rotated(rounds, sidesAt(0))
    const maxRate = (name: string) => medianOf(atMax.all[name], (r) => r.rate)
    const half = Math.round(0.5 * Math.min(maxRate('kafkit') ?? Infinity, maxRate('kafkajs') ?? Infinity))
    console.error(`bench: latency at half load: ${half} records/s`)
    const atHalf = await rotated(rounds, sidesAt(half))
    const java = peers.java
    let javaLatency: { p50: number; p99: number; p999: number } | undefined
    const javaNotes = notRunNote('java', java)
    if (!('notRun' in java)) {
      try {
        const runs: { p50: number; p99: number; p999: number }[] = []
        for (let i = 0; i < rounds; i++) runs.push(await java.endToEndLatency({ topic: javaTopic, records: size(context, 3_000, 500), recordBytes: bytes }))
        javaLatency = { p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), p999: median(runs.map((r) => r.p999)) }
      } catch (error) {
        javaNotes.push(`java failed: ${(error as Error).message}`)
      }
    }
    const rows: Row[] = []
    for (const [label, result, rate] of [['half load', atHalf, half], ['max load', atMax, 0]] as const) {
      const k = result.all['kafkit']
      const j = result.all['kafkajs']
      if (k === undefined || j === undefined) continue
      const rateText = rate > 0 ? `${rate} records/s offered to each client` : `achieved kafkit ${Math.round(medianOf(k, (r) => r.rate)!)}, kafkajs ${Math.round(medianOf(j, (r) => r.rate)!)}${result.all['platformatic'] ? `, platformatic ${Math.round(medianOf(result.all['platformatic'], (r) => r.rate)!)}` : ''} records/s (${CALLERS} callers, closed loop)`
      const lost = Object.entries(result.all).filter(([, runs]) => runs!.some((r) => r.received < r.sent)).map(([name]) => `${name} did not receive every record within 30 s`)
      for (const [p, pick] of [['p50', (r: Latencies) => r.p50], ['p99', (r: Latencies) => r.p99], ['p99.9', (r: Latencies) => r.p999]] as const) {
        rows.push(
          peerRow({
            name: `latency ${p} at ${label}, ${bytes} B JSON`,
            unit: 'ms',
            better: 'lower',
            method: `producer -> broker -> handler, ${PARTITIONS} partitions, acks=all, idempotent, ${rateText}, ${durationMs} ms per round, ${rounds} rounds (+1 warm-up), median of the per-round ${p}; java: EndToEndLatency one record at a time (unloaded)`,
            kafkit: medianOf(k, pick)!,
            kafkajs: medianOf(j, pick)!,
            baselineName: 'kafkajs 2.2.4 producer + eachMessage, same serializer',
            platformatic: medianOf(result.all['platformatic'], pick),
            java: label === 'half load' && javaLatency !== undefined ? (p === 'p50' ? javaLatency.p50 : p === 'p99' ? javaLatency.p99 : javaLatency.p999) : undefined,
            ...(label === 'half load' && p === 'p99' ? { target: { text: 'kafkit p99 ≤ 1.1× kafkajs at half load', met: (ratio: number) => ratio <= 1.1 } } : {}),
            notes: [...notRunNote('platformatic', platformatic), ...javaNotes, ...lost, ...Object.entries(result.failed).map(([name, error]) => `${name} failed: ${error}`)],
          }),
        )
      }
    }
    return rows
  } finally {
    await rawProducer.disconnect()
    await kafka.close()
  }
}
