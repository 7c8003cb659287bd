// `npm run bench`: starts its own Kafka, runs every bench/cases/*.ts module, prints one
// table and writes bench/results/latest.json. `npm run bench -- json produce` runs only
// the cases whose file name is given.
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startKafka } from '@kafkit/testkit'
import type { BenchContext, Row } from './measure.js'

const here = dirname(fileURLToPath(import.meta.url))

function format(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 0 })
}

function printTable(rows: Row[]): void {
  const header = ['case', 'unit', 'kafkit', 'baseline', 'ratio', 'baseline is']
  const lines = rows.map((r) => [r.case, r.unit, format(r.kafkit), format(r.baseline), r.ratio.toFixed(3), r.baselineName])
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)))
  const numeric = new Set([2, 3, 4])
  const render = (cells: string[]) => cells.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ')
  console.log(render(header))
  console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  for (const line of lines) console.log(render(line))
}

async function main(): Promise<void> {
  const only = new Set(process.argv.slice(2))
  const files = (await readdir(join(here, 'cases')))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .filter((file) => only.size === 0 || only.has(file.replace(/\.ts$/, '')))
    .sort()
  if (files.length === 0) throw new Error(`no benchmark case matches ${[...only].join(', ')}`)

  const cluster = await startKafka({ schemaRegistry: true, log: (line) => console.error(line) })
  const context: BenchContext = { brokers: cluster.brokers, ...(cluster.schemaRegistryUrl === undefined ? {} : { schemaRegistryUrl: cluster.schemaRegistryUrl }) }
  const rows: Row[] = []
  try {
    for (const file of files) {
      console.error(`bench: ${file}…`)
      const module = (await import(pathToFileURL(join(here, 'cases', file)).href)) as { run(context: BenchContext): Promise<Row[]> }
      rows.push(...(await module.run(context)))
    }
  } finally {
    await cluster.stop()
  }

  console.log(`\nkafkit benchmarks: Node ${process.version}, ${process.platform}/${process.arch}, Kafka via ${cluster.backend} backend\n`)
  printTable(rows)
  const out = join(here, 'results', 'latest.json')
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, `${JSON.stringify(rows, null, 2)}\n`)
  console.log(`\nwritten to ${out}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
