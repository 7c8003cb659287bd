// `npm run bench:dlq`: memory of the dead-letter tools against the size of the dead-letter
// topic. Starts its own Kafka (one broker, through @kafkit/testkit; KAFKIT_BACKEND=jvm forces
// local JVM processes), writes dead-letter topics of each size (3 partitions, ~300-byte values
// with kafkit's diagnostic headers), then runs each operation in a fresh Node process that
// samples its own RSS and heap every 20 ms, and prints records vs peak RSS / heap. A program,
// not a test: nothing asserts a number. Writes bench/results/dlq-memory-latest.json (git-ignored).
//
//   npm run bench:dlq -- --sizes=100000,1000000 --ops=stream,filter,inspect,replay,list
//   npm run bench:dlq -- --sizes=1000000 --ops=stream,replay --heap-cap-mib=64   # the same work under a 64 MiB old space
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buffer, defineTopic, Kafkit, KafkitHeaders, string } from '@kafkit/core'
import { startKafka, uniqueName } from '@kafkit/testkit'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const log = (line: string) => console.error(line)

type Op = 'idle' | 'stream' | 'filter' | 'inspect' | 'replay' | 'list'

/** What one measured run reports. */
interface Sample {
  op: Op
  records: number
  /** Records the operation yielded or replayed. */
  output: number
  ms: number
  peakRssMiB: number
  peakHeapMiB: number
}

const OPS: Record<Op, string> = {
  idle: 'connect only (baseline)',
  stream: 'list: for await stream()',
  filter: 'filter: stream({ errorCodes })',
  inspect: 'inspect: last record of p0',
  replay: 'replay({ collect: false })',
  list: 'list() into an array (buffers, for contrast)',
}

function argsOf() {
  const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]))
  return {
    sizes: (args.get('sizes') ?? '100000,1000000').split(',').map(Number),
    ops: (args.get('ops') ?? 'idle,stream,filter,inspect,replay,list').split(',') as Op[],
    /** `list()` keeps every entry: above this size it is left out (it would only show memory growing, at length). */
    listUpTo: Number(args.get('list-up-to') ?? 100_000),
    /** Run each operation with `--max-old-space-size` of this many MiB: it finishes only if its memory does not grow with the topic. */
    heapCapMiB: args.has('heap-cap-mib') ? Number(args.get('heap-cap-mib')) : undefined,
  }
}

// ---- the measured side: one operation in this process ----

async function child(op: Op, brokers: string[], dlq: string, target: string, records: number): Promise<void> {
  let peakRss = 0
  let peakHeap = 0
  const sample = () => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
  }
  const timer = setInterval(sample, 20)
  const kafka = new Kafkit({ clientId: 'bench-dlq', brokers, logLevel: 'nothing' })
  const tool = kafka.deadLetters(dlq)
  const started = Date.now()
  let output = 0
  try {
    switch (op) {
      case 'idle':
        await kafka.admin().ensureTopics([])
        break
      case 'stream':
        for await (const _ of tool.stream()) output++
        break
      case 'filter':
        for await (const _ of tool.stream({ errorCodes: ['KAFKIT_HANDLER'] })) output++
        break
      case 'inspect': {
        const last = String(Math.ceil(records / 3) - 1)
        output = (await tool.inspect(0, last)) === undefined ? 0 : 1
        break
      }
      case 'replay':
        output = (await tool.replay({ to: target, collect: false })).replayedCount
        break
      case 'list':
        output = (await tool.list()).length
        break
    }
  } finally {
    sample()
    clearInterval(timer)
    await kafka.close()
  }
  const result: Sample = { op, records, output, ms: Date.now() - started, peakRssMiB: peakRss / 2 ** 20, peakHeapMiB: peakHeap / 2 ** 20 }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

// ---- the driver ----

function measure(op: Op, brokers: string[], dlq: string, target: string, records: number, heapCapMiB: number | undefined): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const tsx = join(root, 'node_modules', '.bin', 'tsx')
    const proc = spawn(tsx, ['--conditions=@kafkit/source', fileURLToPath(import.meta.url), '--child', op, brokers.join(','), dlq, target, String(records)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        ...(heapCapMiB === undefined ? {} : { NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --max-old-space-size=${heapCapMiB}`.trim() }),
      },
    })
    let out = ''
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    proc.on('error', reject)
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').pop()
      if (code !== 0 || !line) reject(new Error(`${op} on ${records} records exited with ${code}`))
      else resolve(JSON.parse(line) as Sample)
    })
  })
}

async function fill(kafka: Kafkit, dlq: string, records: number): Promise<void> {
  const contract = defineTopic({ name: dlq, key: string(), value: buffer(), partitions: 3, replicationFactor: 1 })
  await kafka.admin().ensureTopics([contract])
  const producer = kafka.producer()
  const payload = Buffer.alloc(300, 'x')
  const now = String(Date.now())
  const batch = 5_000
  const inFlight: Promise<unknown>[] = []
  for (let from = 0; from < records; from += batch) {
    const messages = []
    for (let i = from; i < Math.min(records, from + batch); i++) {
      messages.push({
        key: `user-${i}`,
        value: payload,
        partition: i % 3,
        rawHeaders: {
          [KafkitHeaders.originalTopic]: 'orders',
          [KafkitHeaders.originalPartition]: String(i % 3),
          [KafkitHeaders.originalOffset]: String(i),
          [KafkitHeaders.originalGroup]: 'billing',
          [KafkitHeaders.attempts]: '3',
          [KafkitHeaders.errorCode]: i % 2 === 0 ? 'KAFKIT_HANDLER' : 'KAFKIT_VALIDATION',
          [KafkitHeaders.errorMessage]: 'payment gateway timed out',
          [KafkitHeaders.failedAt]: now,
        },
      })
    }
    inFlight.push(producer.send(contract, messages))
    if (inFlight.length >= 8) await inFlight.shift()
  }
  await Promise.all(inFlight)
  await producer.disconnect()
}

const mib = (n: number) => `${n.toFixed(0)} MiB`.padStart(9)

async function main(): Promise<void> {
  const { sizes, ops, listUpTo, heapCapMiB } = argsOf()
  const cluster = await startKafka({ brokers: 1, log })
  const samples: Sample[] = []
  try {
    const kafka = new Kafkit({ clientId: 'bench-dlq-fill', brokers: cluster.brokers, logLevel: 'nothing' })
    for (const records of sizes) {
      const dlq = `${uniqueName('bench-orders')}.dlq`
      const started = Date.now()
      await fill(kafka, dlq, records)
      log(`[dlq-bench] ${records} dead letters written to ${dlq} in ${Date.now() - started} ms`)
      const target = uniqueName('bench-replayed')
      await kafka.admin().ensureTopics([defineTopic({ name: target, key: string(), value: buffer(), partitions: 3, replicationFactor: 1 })])
      for (const op of ops) {
        if (op === 'list' && records > listUpTo) continue
        const sample = await measure(op, cluster.brokers, dlq, target, records, heapCapMiB)
        log(`[dlq-bench] ${records} ${op}: ${sample.output} out in ${sample.ms} ms, peak rss ${sample.peakRssMiB.toFixed(0)} MiB, heap ${sample.peakHeapMiB.toFixed(0)} MiB`)
        samples.push(sample)
      }
    }
    await kafka.close()
  } finally {
    await cluster.stop()
  }

  const lines = [
    `${'records'.padStart(9)}  ${'operation'.padEnd(46)} ${'output'.padStart(9)} ${'time'.padStart(8)} ${'rec/s'.padStart(8)} ${'peak RSS'.padStart(9)} ${'peak heap'.padStart(9)}`,
    ...samples.map((s) =>
      [
        String(s.records).padStart(9),
        ` ${OPS[s.op].padEnd(46)}`,
        String(s.output).padStart(9),
        `${(s.ms / 1_000).toFixed(1)} s`.padStart(8),
        (s.op === 'idle' || s.op === 'inspect' ? '' : String(Math.round((s.records * 1_000) / Math.max(1, s.ms)))).padStart(8),
        mib(s.peakRssMiB),
        mib(s.peakHeapMiB),
      ].join(' '),
    ),
  ]
  if (heapCapMiB !== undefined) lines.push(`(each operation ran with --max-old-space-size=${heapCapMiB})`)
  console.log(lines.join('\n'))
  await mkdir(join(here, 'results'), { recursive: true })
  await writeFile(join(here, 'results', 'dlq-memory-latest.json'), `${JSON.stringify({ heapCapMiB, samples }, null, 2)}\n`)
}

if (process.argv[2] === '--child') {
  const [, , , op, brokers, dlq, target, records] = process.argv
  await child(op as Op, (brokers as string).split(','), dlq as string, target as string, Number(records))
} else {
  await main()
}
