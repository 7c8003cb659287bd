// Summarizes a V8 CPU profile of a consume run: self time by where the code lives (kafkit,
// kafkajs, zod, prom-client, OpenTelemetry, Node, idle, GC), then kafkit's own functions by
// self and inclusive time, in microseconds per record, located in packages/*/src through the
// build's source maps.
import { existsSync, readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
/** The parts of a `.cpuprofile` used here. */
export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

const AREAS: [string, RegExp][] = [
  ['kafkit (@kafkit/core dist)', /\/packages\/core\/dist\//],
  ['kafkit (other packages)', /\/packages\/[^/]+\/dist\//],
  ['kafkajs', /\/node_modules\/kafkajs\//],
  ['zod', /\/node_modules\/zod\//],
  ['prom-client', /\/node_modules\/(prom-client|tdigest|bintrees)\//],
  ['OpenTelemetry API', /\/node_modules\/@opentelemetry\//],
  ['pino', /\/node_modules\/pino/],
  ['bench program', /\/bench\//],
  ['other dependencies', /\/node_modules\//],
  ['Node.js internals', /^node:|^internal\//],
]

function area(frame: CallFrame): string {
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : `native ${frame.functionName || '(anonymous)'}`
  for (const [name, pattern] of AREAS) if (pattern.test(frame.url)) return name
  return 'other'
}

const maps = new Map<string, SourceMap | undefined>()
/** `src/…/file.ts:line` of a kafkit dist frame, through its source map. */
function located(frame: CallFrame): string {
  if (!frame.url.startsWith('file://')) return ''
  let map = maps.get(frame.url)
  if (!maps.has(frame.url)) {
    const path = `${fileURLToPath(frame.url)}.map`
    map = existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : undefined
    maps.set(frame.url, map)
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined
  if (entry?.originalSource === undefined) return `${frame.url.replace(/^.*\/packages\//, 'packages/')}:${frame.lineNumber + 1}`
  return `${entry.originalSource.replace(/^.*\/packages\//, 'packages/').replace(/^(\.\.\/)+/, '')}:${(entry.originalLine ?? 0) + 1}`
}

function pct(part: number, total: number): string {
  return `${((part / total) * 100).toFixed(1).padStart(5)} %`
}

/** The summary as text. `records`: how many records the profiled span handled. */
export function summarize(profile: CpuProfile, records: number): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const perRecord = (us: number) => `${(us / records).toFixed(2).padStart(6)} µs/rec`
  const lines: string[] = [`${(total / 1000).toFixed(0)} ms sampled, ${records} records: ${(total / records).toFixed(2)} µs per record in all`, '', 'self time by area:']
  const areas = new Map<string, number>()
  for (const [id, us] of self) {
    const name = area(byId.get(id)!.callFrame)
    areas.set(name, (areas.get(name) ?? 0) + us)
  }
  for (const [name, us] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, 14)) lines.push(`  ${pct(us, total)}  ${perRecord(us)}  ${name}`)

  // Inclusive time per kafkit function: a sample counts once per distinct function on its stack.
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const key = (frame: CallFrame) => `${frame.functionName || '(anonymous)'} ${located(frame)}`
  const inclusive = new Map<string, number>()
  const selfByFunction = new Map<string, number>()
  const kafkitFrame = (frame: CallFrame) => /\/packages\/[^/]+\/dist\//.test(frame.url)
  for (const [id, us] of self) {
    const leaf = byId.get(id)!.callFrame
    if (kafkitFrame(leaf)) selfByFunction.set(key(leaf), (selfByFunction.get(key(leaf)) ?? 0) + us)
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame
      if (!kafkitFrame(frame)) continue
      const k = key(frame)
      if (seen.has(k)) continue
      seen.add(k)
      inclusive.set(k, (inclusive.get(k) ?? 0) + us)
    }
  }
  lines.push('', 'kafkit functions, self time (top 15):')
  for (const [name, us] of [...selfByFunction].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(us, total)}  ${perRecord(us)}  ${name}`)
  lines.push('', 'kafkit functions, inclusive time (top 25; callees counted, kafkajs below kafkit included):')
  for (const [name, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`  ${pct(us, total)}  ${perRecord(us)}  ${name}`)
  return lines.join('\n')
}

// `node … summarize.ts <file.cpuprofile> <records>`: summarize a saved profile.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, records] = process.argv.slice(2)
  console.log(summarize(JSON.parse(readFileSync(file!, 'utf8')) as CpuProfile, Number(records ?? 1)))
}
