// What kafkit's consumer runtime costs per record beyond the decode, without a broker: the
// consumer (its handler runtime, the default telemetry and logging, as `kafka.consumer()`
// builds it) is fed partition batches of 1 KB JSON records by an engine in memory, and timed
// in alternation with the loop a kafkajs `eachBatch` user writes (the same decode, offsets
// resolved per record on a stand-in that parses each offset as kafkajs does). No I/O; each round
// is timed by the process's CPU time, so other work on the machine moves it little:
// the difference between the two rows is the runtime's framing of each record.
//
//   node scripts/run-ts.mjs bench/profile/framing.ts [--rounds=9] [--records=120000] [--side=kafkit-message|kafkit-batch|hand]
//
// `--side` alone loops that side under the V8 CPU profiler after the rounds and prints where
// its time goes (bench/profile/summarize.ts). A development tool, not a case of `npm run bench`:
// it measures the runtime's CPU alone, the consume cases measure what a service sees.
import { mkdir, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KafkitConsumer } from '../../packages/core/src/consumer/consumer.js'
import { Telemetry } from '../../packages/core/src/instrumentation/telemetry.js'
import { createDefaultLogger } from '../../packages/core/src/logging/logger.js'
import type { ConsumerDeps, ConsumerEngine, EngineBatch } from '../../packages/core/src/runtime/engine.js'
import { median as medianOf } from '../measure.js'
import { decodeByHand, eventTopic, eventValue, PARTITIONS, PAYLOAD_1KB } from '../workload.js'
import { summarize } from './summarize.js'

const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]))
const rounds = Number(args.get('rounds') ?? 9)
const total = Number(args.get('records') ?? 120_000)
const profiled = args.get('side')
const PER_BATCH = 1_000

interface AllocNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: AllocNode[]
}

/** What kafkajs hands `eachBatch`: its own message objects, as its decoder makes them. */
interface EngineMessage {
  magicByte: number
  attributes: number
  timestamp: string
  offset: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer>
  isControlRecord: boolean
  batchContext: object
}

const Topic = eventTopic('framing')
const payload = 'x'.repeat(PAYLOAD_1KB)
const batchContext = {}
/** One partition's fetched messages, made once and handed out again each round (as a fetch would, fresh offsets aside). */
const fetched: EngineMessage[][] = Array.from({ length: PARTITIONS }, (_, p) =>
  Array.from({ length: total / PARTITIONS }, (_, i) => ({
    magicByte: 2,
    attributes: 0,
    timestamp: String(1_700_000_000_000 + i),
    offset: String(i),
    key: Buffer.from(`k-${p}-${i}`),
    value: Buffer.from(JSON.stringify(eventValue(i, 1_700_000_000_000, payload))),
    headers: {},
    isControlRecord: false,
    batchContext,
  })),
)

/** The process's CPU time in ms (user and system, GC threads included): other processes on the machine do not move it as they move the wall clock. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** kafkajs' resolveOffset parses each offset into a 64-bit Long and adds one; BigInt stands in. */
let resolved = 0n
const resolveOffset = (offset: string): void => {
  resolved = BigInt(offset) + 1n
}

/** The batches of one round, `PER_BATCH` records each, partitions in turn (as a fetch loop hands them out). */
function* batchesOfRound(): Generator<{ partition: number; messages: EngineMessage[] }> {
  for (let from = 0; from < total / PARTITIONS; from += PER_BATCH) {
    for (let partition = 0; partition < PARTITIONS; partition++) yield { partition, messages: (fetched[partition] as EngineMessage[]).slice(from, from + PER_BATCH) }
  }
}

/** What `toEngineBatch` in group-consumer.ts makes of a kafkajs batch: its messages as they are. */
function engineBatch(partition: number, messages: EngineMessage[]): EngineBatch {
  return {
    topic: Topic.name,
    partition,
    records: messages,
    resolveOffset,
    heartbeat: async () => {},
    commitIfNecessary: async () => {},
    pause: () => () => {},
    isRunning: () => true,
    isStale: () => false,
  }
}

/** A consumer of `kind` as `kafka.consumer()` builds it, over an engine that runs the batches it is given. */
async function kafkitSide(kind: 'message' | 'batch'): Promise<{ round(): Promise<number>; stop(): Promise<void> }> {
  let eachBatch: ((batch: EngineBatch) => Promise<void>) | undefined
  const engine: ConsumerEngine = {
    connect: async () => {},
    subscribe: async () => {},
    run: async (fn) => void (eachBatch = fn),
    stop: async () => {},
    disconnect: async () => {},
    on: () => () => {},
  }
  const deps: ConsumerDeps = {
    createEngine: () => engine,
    sender: { send: async () => {} },
    topics: { ensureTopics: async () => {}, describe: async () => ({ partitions: PARTITIONS, replicationFactor: 1 }) },
  }
  const telemetry = new Telemetry('framing', createDefaultLogger('error'), {})
  const consumer = telemetry.consumer(deps, (d) => new KafkitConsumer(d, { groupId: 'framing', shutdown: false }))
  let seen = 0
  if (kind === 'message') consumer.handle(Topic, () => void seen++)
  else consumer.handleBatch(Topic, (messages) => void (seen += messages.length))
  await consumer.start()
  return {
    round: async () => {
      seen = 0
      const started = cpuMs()
      for (const { partition, messages } of batchesOfRound()) await (eachBatch as (batch: EngineBatch) => Promise<void>)(engineBatch(partition, messages))
      const elapsed = cpuMs() - started
      if (seen !== total) throw new Error(`kafkit ${kind} handled ${seen} of ${total}`)
      return elapsed
    },
    stop: () => consumer.stop(),
  }
}

/** The hand-written `eachBatch` loop of the consume case's kafkajs side. */
async function handRound(): Promise<number> {
  let seen = 0
  const started = cpuMs()
  for (const { messages } of batchesOfRound()) {
    await (async () => {
      for (const message of messages) {
        decodeByHand(message)
        resolveOffset(message.offset)
        seen++
      }
    })()
  }
  const elapsed = cpuMs() - started
  if (seen !== total) throw new Error(`hand loop handled ${seen} of ${total}`)
  return elapsed
}

async function main(): Promise<void> {
  const message = await kafkitSide('message')
  const batch = await kafkitSide('batch')
  const sides: Record<string, () => Promise<number>> = { 'kafkit-message': message.round, 'kafkit-batch': batch.round, hand: handRound }
  const times = new Map<string, number[]>(Object.keys(sides).map((name) => [name, []]))
  const names = Object.keys(sides)
  for (let round = -2; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + Math.max(round, 0)) % names.length] as string
      const ms = await (sides[name] as () => Promise<number>)()
      if (round >= 0) times.get(name)?.push(ms)
    }
  }
  const hand = medianOf(times.get('hand') as number[])
  const fastestHand = Math.min(...(times.get('hand') as number[]))
  const perRecord = (ms: number) => `${((ms * 1000) / total).toFixed(3)} µs/rec`
  console.log(`${total} records of 1 KB JSON in batches of ${PER_BATCH}, ${rounds} rounds after 2 warm-ups, CPU µs per record (median; fastest round):`)
  for (const name of names) {
    const ms = medianOf(times.get(name) as number[])
    const fastest = Math.min(...(times.get(name) as number[]))
    console.log(`  ${name.padEnd(15)} ${perRecord(ms)}, ${(((ms - hand) * 1000) / total).toFixed(3)} above the hand loop (${((hand / ms) * 100).toFixed(1)} % of its rate); fastest ${perRecord(fastest)}, ${(((fastest - fastestHand) * 1000) / total).toFixed(3)} above`)
  }
  if (args.has('alloc') && profiled !== undefined) {
    const session = new Session()
    session.connect()
    await session.post('HeapProfiler.enable')
    await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
    for (let i = 0; i < 3; i++) await (sides[profiled] as () => Promise<number>)()
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: AllocNode } }
    session.disconnect()
    const bySite = new Map<string, number>()
    const walk = (node: AllocNode) => {
      const self = node.selfSize
      if (self > 0) {
        const key = `${node.callFrame.functionName || '(anon)'} ${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber + 1}`
        bySite.set(key, (bySite.get(key) ?? 0) + self)
      }
      for (const child of node.children) walk(child)
    }
    walk(profile.head)
    console.log(`\nallocation by function (sampled), bytes per record, ${profiled}:`)
    for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${(bytes / (total * 3)).toFixed(1).padStart(7)}  ${site}`)
  } else if (profiled !== undefined) {
    const session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
    for (let i = 0; i < 5; i++) await (sides[profiled] as () => Promise<number>)()
    const { profile } = (await session.post('Profiler.stop')) as { profile: Parameters<typeof summarize>[0] }
    session.disconnect()
    const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', `framing-${profiled}.cpuprofile`)
    await mkdir(dirname(out), { recursive: true })
    await writeFile(out, JSON.stringify(profile))
    console.log(`\nprofile in ${out}`)
    console.log(`\n${profiled} under the profiler, 5 rounds:\n${summarize(profile, total * 5)}`)
  }
  await message.stop()
  await batch.stop()
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
