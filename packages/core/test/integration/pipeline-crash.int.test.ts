// Contract: a pipeline process killed with SIGKILL in the middle of a stream and restarted leaves exactly one output per input (read_committed); after a crash it resumes from the offsets of its last committed transaction, not from what it had processed, and a dead letter written in the lost transaction is written once.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { uniqueName, waitFor } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { committedOffsets, groupCaughtUp, readCommitted } from './transaction-helpers.js'

const { brokers } = inject('kafka')
const script = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'pipeline-worker.ts')
const children: ChildProcess[] = []
const kafka = new kafkajs.Kafka({ clientId: 'kafkit-pipeline-crash-test', brokers, logLevel: kafkajs.logLevel.NOTHING })
const admin = kafka.admin()
const producer = kafka.producer()

beforeAll(async () => {
  await Promise.all([admin.connect(), producer.connect()])
})
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL')
  await Promise.allSettled([admin.disconnect(), producer.disconnect()])
})

interface Run {
  input: string
  output: string
  groupId: string
  transactionalId: string
  trace: string
}

function newRun(): Run {
  return {
    input: uniqueName('pipe-in'),
    output: uniqueName('pipe-out'),
    groupId: uniqueName('pipe-g'),
    transactionalId: uniqueName('pipe-tx'),
    trace: join(mkdtempSync(join(tmpdir(), 'kafkit-pipeline-')), 'trace.txt'),
  }
}

function startWorker(run: Run, options: { stallAt?: string; delayMs?: number; perTransaction?: number } = {}): ChildProcess {
  const args = [run.input, run.output, run.groupId, run.transactionalId, run.trace, options.stallAt ?? '', String(options.delayMs ?? 0), String(options.perTransaction ?? 50)]
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@kafkit/source', script, brokers.join(','), ...args], { stdio: ['ignore', 'ignore', 'inherit'] })
  children.push(child)
  return child
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  process.kill(child.pid!, signal)
  await exited
}

const traceLines = (run: Run) => (existsSync(run.trace) ? readFileSync(run.trace, 'utf8').split('\n').filter(Boolean) : [])
const processed = (lines: string[]) => lines.filter((line) => line.startsWith('processed ')).map((line) => line.split(' '))

async function createTopics(run: Run, partitions: number): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: run.input, numPartitions: partitions, replicationFactor: 1 },
      { topic: run.output, numPartitions: partitions, replicationFactor: 1 },
    ],
  })
}

/** Output ids, by how often each was written (read_committed, whole topic). */
async function outputCounts(topic: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const record of await readCommitted(brokers, topic)) {
    const id = (JSON.parse(record.value) as { id: string }).id
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

describe('pipeline crash recovery', () => {
  it('writes exactly one output per input across a SIGKILL in the middle of the stream and a restart', async () => {
    const run = newRun()
    await createTopics(run, 3)
    const total = 600
    const ids = Array.from({ length: total }, (_, i) => `in-${i}`)
    await producer.send({ topic: run.input, acks: -1, messages: ids.map((id, i) => ({ key: `k${i % 23}`, value: JSON.stringify({ id }) })) })

    const first = startWorker(run, { delayMs: 3, perTransaction: 40 })
    await waitFor(() => traceLines(run).some((l) => l.startsWith('committed')) && processed(traceLines(run)).length >= 150, { timeoutMs: 90_000, message: 'first process committed some' })
    await kill(first, 'SIGKILL')
    const beforeRestart = processed(traceLines(run)).length
    expect(beforeRestart).toBeLessThan(total)

    const second = startWorker(run, { perTransaction: 40 })
    await waitFor(() => groupCaughtUp(brokers, run.groupId, run.input), { timeoutMs: 90_000, message: 'the restarted pipeline committed every input' })
    await kill(second, 'SIGTERM')

    const counts = await outputCounts(run.output)
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([])
    expect(counts.size).toBe(total)
    // The crash lost work in flight: some inputs were processed twice, yet written once.
    expect(processed(traceLines(run)).length).toBeGreaterThanOrEqual(total)
  })

  it('resumes from the last committed transaction, and writes a dead letter of the lost transaction once', async () => {
    const run = newRun()
    await createTopics(run, 1)
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: `${run.input}.dlq`, numPartitions: 1, replicationFactor: 1 }] })
    // One produce request: one record batch, so the pipeline's transactions are offsets 0-9, 10-19, 20-29…
    await producer.send({
      topic: run.input,
      acks: -1,
      messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: i === 22 ? 'not json' : JSON.stringify({ id: `in-${i}` }) })),
    })

    const first = startWorker(run, { stallAt: 'in-25', perTransaction: 10 })
    await waitFor(() => traceLines(run).some((l) => l.startsWith('stalled')), { timeoutMs: 60_000, message: 'first process hangs on in-25' })
    const committed = (await committedOffsets(brokers, run.groupId, run.input)).get(0)
    // Offsets move with the transactions only: 20, though 20-24 (and the poison at 22) were processed.
    expect(committed).toBe('20')
    expect(processed(traceLines(run)).map(([, , offset]) => Number(offset))).toEqual([...Array.from({ length: 22 }, (_, i) => i), 23, 24])
    const visible = await outputCounts(run.output)
    expect(visible.size).toBe(20)
    await kill(first, 'SIGKILL')

    const marker = traceLines(run).length
    const second = startWorker(run, { perTransaction: 10 })
    await waitFor(() => groupCaughtUp(brokers, run.groupId, run.input), { timeoutMs: 90_000, message: 'the restarted pipeline committed every input' })
    await kill(second, 'SIGTERM')

    const restarted = processed(traceLines(run).slice(marker))
    expect(restarted[0]?.[2]).toBe('20')
    const counts = await outputCounts(run.output)
    expect(counts.size).toBe(49)
    expect([...counts.values()].every((count) => count === 1)).toBe(true)
    const deadLetters = await readCommitted(brokers, `${run.input}.dlq`)
    expect(deadLetters.map((r) => r.value)).toEqual(['not json'])
  })
})
