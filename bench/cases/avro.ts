// Avro encode/decode throughput: the kafkit serde (registry-backed, cache warm, Confluent
// wire format) against avsc alone on the same ~100-byte record. One core, no I/O per message.
//
// Each sample runs in a fresh process (`_avro-sample.ts`): how much of avsc's generated code
// V8 inlines into a caller is decided once per process, and in one process every round is
// near one value while processes differ (the decode ratio read 0.92x to 1.07x between runs of
// one process each). The row reports the median over processes of each process's paired
// ratio (the median of its per-round ratios), and their spread.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BenchContext, median, pairedRatio, peerRow, type Row, size } from '../measure.js'
import type { AvroSample, AvroSampleSettings } from './_avro-sample.js'

const here = dirname(fileURLToPath(import.meta.url))
const SAMPLE_TIMEOUT_MS = 120_000

/** Runs one sample in a process of its own, with this process's loader (tsx) and resolution. */
function sample(settings: AvroSampleSettings): Promise<AvroSample> {
  return new Promise((resolve, reject) => {
    // The same loader flags, but no inspector (two processes cannot listen on one port) and no
    // V8 tracing (it prints on stdout, where the sample's result is read).
    const flags = process.execArgv.filter((flag) => !flag.startsWith('--inspect') && !flag.startsWith('--trace'))
    const child = spawn(process.execPath, [...flags, join(here, '_avro-sample.ts')], {
      env: { ...process.env, KAFKIT_AVRO_SAMPLE: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    // A sample takes about ten seconds; one that hangs (a registry that stopped answering) is
    // killed, and the case fails with that reason instead of holding the whole run.
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, SAMPLE_TIMEOUT_MS)
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (timedOut) reject(new Error(`avro bench: a sample process did not finish within ${SAMPLE_TIMEOUT_MS / 1000} s and was killed`))
      else if (code !== 0) reject(new Error(`avro bench: a sample process ended with ${signal ?? `code ${code}`}`))
      else {
        try {
          resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as AvroSample)
        } catch (error) {
          reject(error)
        }
      }
    })
  })
}

/** Runs the Avro cases; registry-backed when `schemaRegistryUrl` is given, else plain Avro. */
export async function run(ctx: BenchContext): Promise<Row[]> {
  const PROCESSES = size(ctx, 5, 1)
  const ROUNDS = size(ctx, 5, 1)
  const ROUND_MS = size(ctx, 300, 100)
  const settings: AvroSampleSettings = {
    topic: `bench-avro-${process.pid}-${Date.now()}`,
    rounds: ROUNDS,
    roundMs: ROUND_MS,
    ...(ctx.schemaRegistryUrl === undefined ? {} : { schemaRegistryUrl: ctx.schemaRegistryUrl }),
  }
  // One after the other: each sample has the core to itself.
  const samples: AvroSample[] = []
  for (let i = 0; i < PROCESSES; i++) samples.push(await sample(settings))
  const mode = ctx.schemaRegistryUrl ? 'registry, cache warm' : 'no registry'
  const bytesText = `${samples[0]!.bytes} B`
  const method = `one core, no I/O, ${PROCESSES} fresh process${PROCESSES === 1 ? '' : 'es'} one after the other, each ${ROUNDS} alternating round${ROUNDS === 1 ? '' : 's'} of ${ROUND_MS} ms (+1 warm-up) per side; rates: median over processes of each one's median round; ratio: median over processes of each one's paired ratio`
  const side = (pick: (s: AvroSample) => { kafkit: number[]; baseline: number[] }) => {
    const ratios = samples.map((s) => pairedRatio(pick(s).kafkit, pick(s).baseline)!)
    return {
      kafkit: median(samples.map((s) => median(pick(s).kafkit))),
      baseline: median(samples.map((s) => median(pick(s).baseline))),
      ratio: median(ratios),
      notes: [`per-process ratios ${ratios.map((r) => r.toFixed(3)).join(', ')}`],
    }
  }
  const encode = side((s) => s.encode)
  const decode = side((s) => s.decode)
  return [
    peerRow({
      name: `Avro encode (${bytesText} record, ${mode})`,
      unit: 'msg/s',
      method,
      kafkit: encode.kafkit,
      kafkajs: encode.baseline,
      baselineName: 'avsc toBuffer alone',
      ratio: encode.ratio,
      notes: encode.notes,
      target: { text: '≥ 1M msg/s', met: () => encode.kafkit >= 1_000_000 },
    }),
    peerRow({
      name: `Avro decode (${bytesText} record, ${mode})`,
      unit: 'msg/s',
      method,
      kafkit: decode.kafkit,
      kafkajs: decode.baseline,
      baselineName: 'avsc fromBuffer alone',
      ratio: decode.ratio,
      notes: decode.notes,
      target: { text: '≥ 0.95× avsc alone', met: (ratio) => ratio >= 0.95 },
    }),
  ]
}
