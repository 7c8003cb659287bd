// Contract: a consumer process killed with SIGKILL in the middle of a batch loses nothing: after a restart in the same group every message was handled at least once; on SIGTERM a consumer finishes its in-flight handler, commits it and exits by the signal.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest'
import { type Harness, harness } from './consumer-harness.js'

const { brokers } = inject('kafka')
const here = dirname(fileURLToPath(import.meta.url))
const script = join(here, 'fixtures', 'crash-consumer.ts')
let h: Harness
const children: ChildProcess[] = []
beforeAll(async () => {
  h = await harness(brokers)
})
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL')
  await h?.close()
})

function startConsumer(topic: string, groupId: string, outFile: string, mode = 'crash'): ChildProcess {
  // tsx runs the TypeScript fixture; the @kafkit/source condition resolves workspace sources.
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@kafkit/source', script, brokers.join(','), topic, groupId, outFile, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return child
}

const handledValues = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [])

describe('crash recovery', () => {
  it('handles every message at least once across a SIGKILL and a restart', async () => {
    const topic = uniqueName('crash')
    await h.createTopic(topic, 3)
    const groupId = uniqueName('g')
    const outFile = join(mkdtempSync(join(tmpdir(), 'kafkit-crash-')), 'handled.txt')
    const total = 600
    const values = Array.from({ length: total }, (_, i) => `m-${i}`)
    await h.produce(topic, values.map((value, i) => ({ key: `k${i % 17}`, value })))

    const first = startConsumer(topic, groupId, outFile)
    await waitFor(() => handledValues(outFile).length >= 50, { timeoutMs: 60_000, message: 'first process handled some' })
    const exited = new Promise((r) => first.once('exit', r))
    process.kill(first.pid!, 'SIGKILL')
    await exited
    const beforeRestart = handledValues(outFile).length
    expect(beforeRestart).toBeLessThan(total)

    const second = startConsumer(topic, groupId, outFile)
    await waitFor(() => new Set(handledValues(outFile)).size === total, { timeoutMs: 90_000, message: 'all messages handled after restart' })
    const secondExited = new Promise((r) => second.once('exit', r))
    process.kill(second.pid!, 'SIGTERM')
    await secondExited
    const seen = new Set(handledValues(outFile))
    expect(values.filter((v) => !seen.has(v))).toEqual([])
  })

  it('on SIGTERM finishes the in-flight handler, commits it, leaves and exits by the signal', async () => {
    const topic = uniqueName('sigterm')
    await h.createTopic(topic)
    const groupId = uniqueName('g')
    const outFile = join(mkdtempSync(join(tmpdir(), 'kafkit-term-')), 'handled.txt')
    await h.produce(topic, ['s1', 's2', 's3'].map((value) => ({ key: 'k', value })))
    const child = startConsumer(topic, groupId, outFile, 'graceful')
    await waitFor(() => handledValues(outFile).includes('start s1'), { timeoutMs: 60_000, message: 'first handler running' })
    const exit = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })))
    process.kill(child.pid!, 'SIGTERM')
    expect(await exit).toEqual({ code: null, signal: 'SIGTERM' })
    expect(handledValues(outFile)).toEqual(['start s1', 's1'])
    const [offsets] = await h.admin.fetchOffsets({ groupId, topics: [topic] })
    expect(offsets!.partitions[0]!.offset).toBe('1')
    // The group was left, not timed out: it is empty right away.
    const { groups } = await h.admin.describeGroups([groupId])
    expect(groups[0]!.members).toEqual([])
  })
})
