// `npm run bench`: builds the packages, starts its own Kafka, runs every bench/cases/*.ts module
// against the built packages (their `dist/`, through the `exports` map, as a service imports
// them), prints one table, writes bench/results/latest.json and the chart beside it.
// `npm run bench -- json produce` runs only the cases whose file name is given.
//
// KAFKIT_BENCH_QUICK=1: small sizes and few rounds (a smoke run; its numbers are not comparable).
// KAFKIT_BENCH_PEERS=platformatic,java|none: which peers run. KAFKIT_BENCH_OUT=<file.json>:
// where the results go (default bench/results/latest.json; a quick run defaults to quick.json).
// KAFKIT_BENCH_BROKERS=host:port[,…] (and KAFKIT_BENCH_REGISTRY=<url>): use a running cluster.
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startKafka } from '@kafkit/testkit'
import { writeChart } from './chart.js'
import type { BenchContext, Row } from './measure.js'
import { preparePeers } from './peers/index.js'

const here = dirname(fileURLToPath(import.meta.url))

function format(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '-'
  return value.toLocaleString('en-US', { maximumFractionDigits: unit === 'ms' ? 2 : 0 })
}

function printTable(rows: Row[]): void {
  const header = ['case', 'unit', 'kafkit', 'kafkajs', 'platformatic', 'java', 'kafkit/kafkajs', 'kafkit/java', 'target']
  const lines = rows.map((r) => [
    r.case,
    r.unit,
    format(r.kafkit, r.unit),
    format(r.baseline, r.unit),
    format(r.platformatic, r.unit),
    format(r.java, r.unit),
    r.ratio.toFixed(3),
    r.ratioJava === null || r.ratioJava === undefined ? '-' : r.ratioJava.toFixed(3),
    r.target === undefined ? '' : `${r.target.met ? 'met' : 'NOT met'}: ${r.target.text}`,
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)))
  const numeric = new Set([2, 3, 4, 5, 6, 7])
  const render = (cells: string[]) => cells.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ')
  console.log(render(header))
  console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  for (const line of lines) console.log(render(line))
  console.log('\nmethod (kafkajs is the baseline named; ratios are kafkit / other, for ms rows lower is better):')
  for (const r of rows) console.log(`- ${r.case}: ${r.method ?? ''}${r.method ? '; ' : ''}baseline ${r.baselineName}${r.notes ? ` (${r.notes.join('; ')})` : ''}`)
}

/** The bench measures what a service runs: refuse to run against package sources. */
function assertBuiltPackages(): void {
  for (const name of ['@kafkit/core', '@kafkit/avro', '@kafkit/testkit']) {
    const resolved = fileURLToPath(import.meta.resolve(name))
    if (!/[\\/]dist[\\/]/.test(resolved)) throw new Error(`${name} resolves to ${resolved}, not its built dist/: run the bench through 'npm run bench' (it builds first and runs without the @kafkit/source condition)`)
  }
}

async function main(): Promise<void> {
  assertBuiltPackages()
  const only = new Set(process.argv.slice(2))
  const quick = process.env['KAFKIT_BENCH_QUICK'] === '1'
  const files = (await readdir(join(here, 'cases')))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('_'))
    .filter((file) => only.size === 0 || only.has(file.replace(/\.ts$/, '')))
    .sort()
  if (files.length === 0) throw new Error(`no benchmark case matches ${[...only].join(', ')}`)

  const log = (line: string) => console.error(line)
  const started = performance.now()
  const external = process.env['KAFKIT_BENCH_BROKERS']
  const cluster = external
    ? { backend: 'external', brokers: external.split(','), schemaRegistryUrl: process.env['KAFKIT_BENCH_REGISTRY'], stop: async () => {} }
    : await startKafka({ schemaRegistry: true, log })
  const peers = await preparePeers(cluster.brokers, log)
  const context: BenchContext = { brokers: cluster.brokers, quick, peers, ...(cluster.schemaRegistryUrl === undefined ? {} : { schemaRegistryUrl: cluster.schemaRegistryUrl }) }
  const rows: Row[] = []
  try {
    for (const file of files) {
      const caseStarted = performance.now()
      console.error(`bench: ${file}…`)
      const module = (await import(pathToFileURL(join(here, 'cases', file)).href)) as { run(context: BenchContext): Promise<Row[]> }
      rows.push(...(await module.run(context)))
      console.error(`bench: ${file} took ${((performance.now() - caseStarted) / 1000).toFixed(1)} s`)
    }
  } finally {
    await peers.cleanup()
    await cluster.stop()
  }

  const platformatic = 'notRun' in peers.platformatic ? peers.platformatic.notRun : `@platformatic/kafka ${peers.platformatic.install.version} on Node ${peers.platformatic.install.nodeVersion}`
  const java = 'notRun' in peers.java ? peers.java.notRun : peers.java.describe
  console.log(`\nkafkit benchmarks${quick ? ' (QUICK MODE: small sizes, not comparable)' : ''}: Node ${process.version}, ${process.platform}/${process.arch}, Kafka via ${cluster.backend} backend`)
  console.log(`peers: ${platformatic}; java: ${java}; ${((performance.now() - started) / 1000).toFixed(0)} s in all\n`)
  printTable(rows)
  const out = process.env['KAFKIT_BENCH_OUT'] ?? join(here, 'results', quick ? 'quick.json' : 'latest.json')
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, `${JSON.stringify(rows, null, 2)}\n`)
  const chart = out.replace(/\.json$/, '.svg')
  await writeFile(chart, writeChart(rows, { title: `kafkit vs kafkajs, @platformatic/kafka and Java${quick ? ' (quick mode)' : ''}`, subtitle: `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; ${platformatic}; ${java}` }))
  console.log(`\nwritten to ${relative(process.cwd(), out)} and ${relative(process.cwd(), chart)}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
