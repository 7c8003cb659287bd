// `npm run bench:failover`: producer delivery guarantees under partition-leader failover.
// On one 3-broker cluster (JVM backend), each client writes 30,000 keyed, numbered records to
// a fresh topic (6 partitions, replication factor 3, min.insync.replicas=2) in paced batches of
// 25 while the busiest partition leader is kill -9'd and restarted three times; then the topic
// is read back and compared with what the client acknowledged. Prints one table and writes
// bench/results/failover-latest.json (git-ignored).
//
//   npm run bench:failover -- --clients=kafkit,java --callers=1 --records=30000 --span-ms=60000
import { spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { auditTopic, type KafkaCluster, type KillEvent, killLeaders, startKafka, uniqueName } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { describeError, type FailoverClient, javaClient, kafkajsClient, kafkitClient, platformaticClient } from './failover/clients.js'
import { producerIdentities } from './failover/identities.js'
import { byBatch, idOf, orderOf, type Plan, summarize } from './failover/plan.js'

const here = dirname(fileURLToPath(import.meta.url))
const log = (line: string) => console.error(line)

/** One line of the table and of failover-latest.json. */
export interface FailoverResult {
  client: string
  runtime: string
  callers: number
  topic?: string
  /** Why the client did not run, when it did not. */
  notRun?: string
  acknowledged?: number
  lost?: number
  /** Ids found more than once. */
  duplicated?: number
  outOfOrder?: number
  failedSends?: number
  sends?: number
  /** Longest time one caller waited for one send. */
  longestSendMs?: number
  /** Longest time without any acknowledgement, across callers. */
  longestAckGapMs?: number
  sendingMs?: number
  recordsInTopic?: number
  /** Records in the topic whose send was not acknowledged (written by a failed send). */
  unacknowledgedInTopic?: number
  producerIds?: number
  producerEpochs?: number
  identities?: Record<string, number>
  errors?: { message: string; count: number }[]
  kills?: KillEvent[]
  notes?: string[]
}

function options() {
  const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]))
  const list = (name: string, fallback: string) => (args.get(name) ?? fallback).split(',').filter((item) => item !== '')
  return {
    clients: list('clients', 'kafkit,kafkajs,platformatic,java'),
    callers: list('callers', '1,3').map(Number),
    records: Number(args.get('records') ?? 30_000),
    spanMs: Number(args.get('span-ms') ?? 60_000),
  }
}

async function createTopic(brokers: string[], topic: string): Promise<void> {
  const admin = new kafkajs.Kafka({ clientId: 'bench-failover-admin', brokers, logLevel: kafkajs.logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] })
  } finally {
    await admin.disconnect()
  }
}

/** One client, one caller count: send under the kill schedule, then read the topic back. */
async function scenario(cluster: KafkaCluster, client: FailoverClient, callers: number, sizes: { records: number; spanMs: number }): Promise<FailoverResult> {
  // A kill schedule that failed half-way could leave a broker down; the next run needs all three.
  for (let broker = 0; broker < 3; broker++) await cluster.startBroker(broker)
  const topic = uniqueName(`bench-failover-${client.name}-${callers}c`)
  await createTopic(cluster.brokers, topic)
  // Child stderr beside the results: *.log is git-ignored, like the results.
  const stderrLog = join(here, 'results', `failover-${client.name}-${callers}c.log`)
  await mkdir(dirname(stderrLog), { recursive: true })
  const plan: Plan = { client: client.name, topic, brokers: cluster.brokers, records: sizes.records, batchSize: 25, spanMs: sizes.spanMs, callers, stderrLog }
  log(`bench: ${client.name}, ${callers} caller(s), topic ${topic}`)
  let kills: Promise<KillEvent[]> | undefined
  const started = () => {
    kills ??= killLeaders(cluster, topic, { kills: 3, downMs: 10_000, log: (line) => log(`  ${line}`) })
  }
  const run = await client.run(plan, started).catch((error: unknown) => ({ sends: [], notes: [`run failed: ${describeError(error)}`] }))
  const notes = [...run.notes]
  const events = kills === undefined ? [] : await kills.catch((error: unknown) => (notes.push(`kill schedule failed: ${describeError(error)}`), []))
  if (kills === undefined) notes.push('the client never started sending: no broker was killed')
  const sent = summarize(plan, run.sends)
  const audit = await auditTopic(cluster.brokers, topic, sent.acknowledgedIds, idOf, orderOf(plan))
  const identities = await producerIdentities(cluster.brokers, topic)
  return {
    client: client.name,
    runtime: client.describe(),
    callers,
    topic,
    acknowledged: sent.acknowledgedIds.length,
    lost: audit.lost.length,
    duplicated: audit.duplicated.size,
    outOfOrder: audit.outOfOrder,
    failedSends: sent.failedSends,
    sends: sent.sends,
    longestSendMs: Math.round(sent.longestSendMs),
    longestAckGapMs: Math.round(sent.longestAckGapMs),
    sendingMs: Math.round(sent.sendingMs),
    recordsInTopic: audit.records,
    unacknowledgedInTopic: audit.unacknowledged.length,
    producerIds: identities.producerIds,
    producerEpochs: identities.epochs,
    identities: identities.pairs,
    errors: sent.errors.slice(0, 10),
    kills: events,
    notes: [...notes, ...(audit.lost.length > 0 ? [`lost ids per batch: ${byBatch(plan, audit.lost)}; first: ${audit.lost.slice(0, 5).join(', ')}`] : [])],
  }
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`)

function printTable(results: FailoverResult[]): void {
  const header = ['client', 'callers', 'acknowledged', 'lost', 'duplicated', 'out of order', 'failed sends', 'longest stall', 'longest ack gap', 'producer ids/epochs', 'unacked in topic']
  const lines = results.map((r) =>
    r.notRun !== undefined
      ? [r.client, String(r.callers), r.notRun]
      : [r.client, String(r.callers), String(r.acknowledged), String(r.lost), String(r.duplicated), String(r.outOfOrder), `${r.failedSends} of ${r.sends}`, seconds(r.longestSendMs), seconds(r.longestAckGapMs), `${r.producerIds}/${r.producerEpochs}`, String(r.unacknowledgedInTopic)],
  )
  const widths = header.map((title, column) => Math.max(title.length, ...lines.filter((line) => line.length > 3 || column < 2).map((line) => line[column]?.length ?? 0)))
  const render = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')
  console.log(render(header))
  console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  for (const line of lines) console.log(render(line))
  console.log('\nlongest stall: the longest one caller waited for one send; longest ack gap: the longest time without any acknowledgement.')
  console.log('producer ids/epochs: distinct producer ids and (id, epoch) pairs in the record batches; one producer wrote each topic, so 1/1 means no reset.')
}

/** A run may not change a tracked file: the results are written only when git does not track them. */
function tracked(file: string): boolean {
  return spawnSync('git', ['ls-files', '--error-unmatch', '--', file], { cwd: here, stdio: 'ignore' }).status === 0
}

async function main(): Promise<void> {
  const { clients: names, callers, records, spanMs } = options()
  const all: FailoverClient[] = [kafkitClient, kafkajsClient, platformaticClient(), javaClient()]
  const clients = names.map((name) => all.find((client) => client.name === name) ?? raise(`unknown client '${name}' (kafkit, kafkajs, platformatic, java)`))
  const results: FailoverResult[] = []
  const cluster = await startKafka({ brokers: 3, backend: 'jvm', log })
  try {
    for (const client of clients) {
      const reason = await client.prepare(log).catch((error: unknown) => `not run: set-up failed: ${describeError(error)}`)
      for (const count of callers) {
        if (reason !== undefined) results.push({ client: client.name, runtime: client.describe(), callers: count, notRun: reason })
        else results.push(await scenario(cluster, client, count, { records, spanMs }))
      }
    }
  } finally {
    for (const client of clients) await client.cleanup?.().catch(() => {})
    await cluster.stop()
  }

  console.log(`\nproducer failover: ${records} records in batches of 25 over ~${spanMs / 1000} s, 3 kill -9 of the busiest leader, 3 brokers, Kafka via ${cluster.backend}\n`)
  printTable(results)
  for (const r of results) {
    const said = [...(r.errors ?? []).slice(0, 3).map((e) => `${e.count}x ${e.message}`), ...(r.notes ?? [])]
    if (r.notRun === undefined) console.log(`\n${r.client} (${r.callers} caller(s); ${r.runtime})${said.length === 0 ? ': no failure' : ''}`)
    for (const line of said) console.log(`  ${line}`)
  }
  const out = join(here, 'results', 'failover-latest.json')
  if (tracked(out)) {
    console.log(`\nnot written: ${relative(process.cwd(), out)} is tracked by git`)
    return
  }
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nwritten to ${out}`)
}

function raise(message: string): never {
  throw new Error(message)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
