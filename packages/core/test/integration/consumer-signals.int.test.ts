// Contract (consumer README "Shutdown"), on a real broker, in a child process with kafkit's own signal handling: a second signal during a shutdown lets go at once; one signal stops every consumer and pipeline of the process, and the process ends by the signal only after the slowest of them committed and left.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type Harness, harness } from './consumer-harness.js'

const { brokers } = inject('kafka')
const script = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'signal-worker.ts')
let h: Harness
const children: ChildProcess[] = []
const dirs: string[] = []
beforeAll(async () => {
  h = await harness(brokers)
})
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  await h?.close()
})

function startWorker(mode: 'stuck' | 'several', prefix: string): { child: ChildProcess; trace: () => string[]; exit: Promise<{ code: number | null; signal: string | null }> } {
  const dir = mkdtempSync(join(tmpdir(), 'kafkit-signals-'))
  dirs.push(dir)
  const traceFile = join(dir, 'trace.txt')
  // tsx runs the TypeScript fixture; the @kafkit/source condition resolves workspace sources.
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@kafkit/source', script, brokers.join(','), mode, traceFile, prefix], { stdio: ['ignore', 'ignore', 'inherit'] })
  children.push(child)
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return { child, exit, trace: () => (existsSync(traceFile) ? readFileSync(traceFile, 'utf8').split('\n').filter(Boolean) : []) }
}

async function committed(groupId: string, topic: string): Promise<string> {
  const [offsets] = await h.admin.fetchOffsets({ groupId, topics: [topic] })
  return offsets!.partitions[0]!.offset
}

describe('signals on a real broker', () => {
  it('a second signal during the shutdown lets go at once, while a handler that ignores its abort still runs and the shutdown timeout is 10 minutes away; nothing of it is committed', async () => {
    const prefix = uniqueName('sig2')
    await h.createTopic(`${prefix}-stuck`)
    await h.produce(`${prefix}-stuck`, [{ key: 'k', value: 'x1' }, { key: 'k', value: 'x2' }])
    const worker = startWorker('stuck', prefix)
    await waitFor(() => worker.trace().includes('start x1'), { timeoutMs: 60_000, message: 'the stuck handler running' })
    process.kill(worker.child.pid!, 'SIGTERM')
    await waitFor(() => worker.trace().includes('stopping'), { timeoutMs: 20_000, message: 'the shutdown under way' })
    process.kill(worker.child.pid!, 'SIGTERM')
    // Without the second-signal path the process waits out the 10-minute shutdown timeout.
    const ended = await Promise.race([worker.exit, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000))])
    expect(ended).toEqual({ code: null, signal: 'SIGTERM' })
    expect(worker.trace().filter((line) => line.startsWith('start '))).toEqual(['start x1'])
    // The message in flight was not committed: the next owner gets it.
    expect(await committed(`${prefix}-g-stuck`, `${prefix}-stuck`)).toBe('-1')
  }, 120_000)

  it('one signal stops two consumers and a pipeline of one process; it ends by the signal only after the slowest (3 s into its shutdown) committed, and every group was left', async () => {
    const prefix = uniqueName('sig1')
    for (const name of ['fast', 'slow', 'in', 'out']) await h.createTopic(`${prefix}-${name}`)
    await h.produce(`${prefix}-fast`, [{ key: 'k', value: 'f1' }])
    await h.produce(`${prefix}-slow`, [{ key: 'k', value: 's1' }])
    await h.produce(`${prefix}-in`, [{ key: 'k', value: 'p1' }])
    const worker = startWorker('several', prefix)
    await waitFor(
      () => {
        const trace = worker.trace()
        return trace.includes('fast f1') && trace.includes('start slow s1') && trace.includes('pipe committed')
      },
      { timeoutMs: 90_000, message: 'every member running, the slow handler in flight' },
    )
    expect(worker.trace()).not.toContain('slow s1')
    process.kill(worker.child.pid!, 'SIGTERM')
    expect(await worker.exit).toEqual({ code: null, signal: 'SIGTERM' })
    const trace = worker.trace()
    // The slow handler finished and its consumer stopped before the process ended.
    expect(trace.indexOf('slow s1')).toBeGreaterThan(trace.indexOf('start slow s1'))
    expect(trace).toContain('slow stopped')
    expect(await committed(`${prefix}-g-fast`, `${prefix}-fast`)).toBe('1')
    expect(await committed(`${prefix}-g-slow`, `${prefix}-slow`)).toBe('1')
    expect(await committed(`${prefix}-g-pipe`, `${prefix}-in`)).toBe('1')
    expect((await h.readAll(`${prefix}-out`, 1)).map((r) => r.value?.toString())).toEqual(['p1'])
    // Left, not timed out: every group is empty right away.
    const { groups } = await h.admin.describeGroups([`${prefix}-g-fast`, `${prefix}-g-slow`, `${prefix}-g-pipe`])
    expect(groups.map((g) => g.members)).toEqual([[], [], []])
  }, 150_000)
})
