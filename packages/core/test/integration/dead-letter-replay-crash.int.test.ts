// Contract: a replay killed with SIGKILL mid-way and run again sends every dead letter to its target, none lost; what it sends twice is only what the first run had in flight and not yet noted in the ledger `<dlq>.replayed` (at most 4 batches of 500: 2,000 records), and the second run sends exactly the dead letters the ledger did not list.
import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { uniqueName } from '@kafkit/testkit'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { KafkitHeaders } from '../../src/runtime/headers.js'
import { useHarness } from './consumer-harness.js'

const { brokers } = inject('kafka')
const h = useHarness()
const script = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'replay-cli.ts')
const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL')
})

/** What a replay may send twice after a crash: the records of the batches in flight (replay.ts: 4 batches of 500). */
const IN_FLIGHT_BOUND = 2_000
const COUNT = 40_000
const PARTITIONS = 2

/** `kafkit dlq replay <dlq>` in a child process; `onLine` gets each line it prints on stdout. */
function replayProcess(dlq: string, onLine: (line: string) => void): { child: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@kafkit/source', script, 'dlq', 'replay', dlq, '--no-progress', '--brokers', brokers.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let rest = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop()!
    lines.forEach(onLine)
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })))
  return { child, exit }
}

/** How often the target holds each dead letter (`<partition>/<offset>` in the DLQ, from its kafkit-replay-of header). */
async function copiesIn(target: string, dlq: string): Promise<Map<string, number>> {
  const total = (await h.admin.fetchTopicOffsets(target)).reduce((sum, o) => sum + Number(o.high), 0)
  const copies = new Map<string, number>()
  if (total === 0) return copies
  for (const record of await h.readAll(target, total)) {
    const of = record.headers[KafkitHeaders.replayOf]!.toString()
    expect(of.startsWith(`${dlq}/`)).toBe(true)
    const position = of.slice(dlq.length + 1)
    copies.set(position, (copies.get(position) ?? 0) + 1)
  }
  return copies
}

describe('a replay killed mid-way', () => {
  it('sends every dead letter once the second run is done, none lost, and sends twice only what the first run had in flight', async () => {
    const source = uniqueName('replay-crash-src')
    const dlq = `${source}.dlq`
    await h.createTopic(source, PARTITIONS)
    await h.createTopic(dlq, PARTITIONS)
    const now = Date.now()
    for (let from = 0; from < COUNT; from += 4_000) {
      await h.producer.send({
        topic: dlq,
        acks: -1,
        messages: Array.from({ length: 4_000 }, (_, k) => {
          const i = from + k
          return {
            key: `k${i}`,
            value: `payload ${i}`,
            partition: i % PARTITIONS,
            headers: { [KafkitHeaders.originalTopic]: source, [KafkitHeaders.originalPartition]: String(i % PARTITIONS), [KafkitHeaders.originalOffset]: String(i), [KafkitHeaders.originalGroup]: 'g', [KafkitHeaders.attempts]: '1', [KafkitHeaders.errorCode]: 'KAFKIT_HANDLER', [KafkitHeaders.failedAt]: String(now) },
          }
        }),
      })
    }

    // The first run: SIGKILLed once it printed (the broker acknowledged) a few thousand records.
    let printed = 0
    const first = replayProcess(dlq, (line) => {
      if (line.startsWith('replayed ') && ++printed === 5_000) process.kill(first.child.pid!, 'SIGKILL')
    })
    const killed = await first.exit
    expect(killed, killed.stderr).toMatchObject({ signal: 'SIGKILL' })
    expect(printed).toBeLessThan(COUNT)

    const tool = h.kafkit.deadLetters(dlq)
    const noted = new Set<string>()
    for await (const e of tool.stream()) if (e.replayed) noted.add(`${e.partition}/${e.offset}`)
    // The ledger lists only records that are in the target, and lags what the broker acknowledged (printed) by at most the batches in flight.
    const sentFirst = await copiesIn(source, dlq)
    expect([...noted].filter((p) => !sentFirst.has(p))).toEqual([])
    expect(printed - noted.size).toBeLessThanOrEqual(IN_FLIGHT_BOUND)

    // The second run sends exactly what the ledger did not list.
    const again: string[] = []
    const second = replayProcess(dlq, (line) => {
      const m = /^replayed (\d+):(\d+) -> /.exec(line)
      if (m) again.push(`${m[1]}/${m[2]}`)
    })
    const done = await second.exit
    expect(done, done.stderr).toMatchObject({ code: 0, signal: null })
    expect(done.stderr).toContain(`${COUNT - noted.size} replayed; skipped ${noted.size} already replayed`)
    expect(again.filter((p) => noted.has(p))).toEqual([])
    expect(new Set(again).size).toBe(COUNT - noted.size)

    // The target: every dead letter at least once; the duplicates only among those not noted, at most the bound.
    const copies = await copiesIn(source, dlq)
    const total = [...copies.values()].reduce((sum, n) => sum + n, 0)
    const lost = Array.from({ length: COUNT }, (_, i) => `${i % PARTITIONS}/${Math.floor(i / PARTITIONS)}`).filter((p) => !copies.has(p))
    expect(lost).toEqual([])
    expect(copies.size).toBe(COUNT)
    const twice = [...copies].filter(([, n]) => n > 1)
    expect(twice.every(([p, n]) => n === 2 && !noted.has(p))).toBe(true)
    expect(total - COUNT).toBe(twice.length)
    expect(twice.length).toBeLessThanOrEqual(IN_FLIGHT_BOUND)
  })
})
