// Contract: a replay killed with SIGKILL mid-way and run again sends every dead letter to its target exactly once as a read_committed reader sees it, none lost, none twice: after the kill the ledger `<dlq>.replayed` lists exactly what the target holds (the killed run's open transaction is never visible), and the second run, whose registration aborts that transaction, sends exactly the dead letters the ledger did not list.
import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { uniqueName } from '@kafkit/testkit'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { KafkitHeaders } from '../../src/runtime/headers.js'
import { useHarness } from './consumer-harness.js'
import { readCommitted } from './transaction-helpers.js'

const { brokers } = inject('kafka')
const h = useHarness()
const script = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'replay-cli.ts')
const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL')
})

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

/**
 * How often a read_committed reader finds each dead letter in the target, by its position
 * `<partition>/<offset>` in the DLQ (dead letter `i`, `payload <i>`, is at offset `i / 2` of partition `i % 2`).
 */
async function copiesIn(target: string): Promise<Map<string, number>> {
  const copies = new Map<string, number>()
  for (const record of await readCommitted(brokers, target)) {
    const i = Number(/^payload (\d+)$/.exec(record.value)?.[1] ?? Number.NaN)
    expect(Number.isInteger(i), record.value).toBe(true)
    const position = `${i % PARTITIONS}/${Math.floor(i / PARTITIONS)}`
    copies.set(position, (copies.get(position) ?? 0) + 1)
  }
  return copies
}

describe('a replay killed mid-way', () => {
  it('sends every dead letter exactly once by the end of the second run: none lost, none twice', async () => {
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
    // The ledger lists exactly the records in the target, each once (the open transaction of the killed run is in neither), and at least those the run printed (it prints a batch once committed).
    const sentFirst = await copiesIn(source)
    expect([...sentFirst].filter(([, n]) => n !== 1)).toEqual([])
    expect([...sentFirst.keys()].sort()).toEqual([...noted].sort())
    expect(noted.size).toBeGreaterThanOrEqual(printed)

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

    // The target: every dead letter exactly once.
    const copies = await copiesIn(source)
    const lost = Array.from({ length: COUNT }, (_, i) => `${i % PARTITIONS}/${Math.floor(i / PARTITIONS)}`).filter((p) => !copies.has(p))
    expect(lost).toEqual([])
    expect(copies.size).toBe(COUNT)
    expect([...copies].filter(([, n]) => n !== 1)).toEqual([])
  })
})
