// Contract: a process that started a cluster and is ended by SIGTERM leaves no broker behind;
// when the process handles SIGTERM itself, the brokers keep serving until it exits.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type KafkaCluster, waitFor } from '@kafkit/testkit'
import { clusterPids } from './rig-checks.js'

const root = join(import.meta.dirname, '..', '..', '..', '..')

const children: ChildProcess[] = []
// A failed assertion before the test's own kill must not leave the fixture (and its brokers) running.
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
})

function startFixture(...args: string[]): { child: ChildProcess; output: () => string; ready: Promise<string> } {
  const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['--conditions=@kafkit/source', join(import.meta.dirname, 'fixtures', 'cluster-until-signal.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const logDir = /ready (\S+)/.exec(output)?.[1]
      if (logDir) resolve(logDir)
    })
    child.once('exit', (code) => reject(new Error(`fixture exited (${code}) before it was ready:\n${output}`)))
  })
  return { child, output: () => output, ready }
}

/**
 * Waits until no process of the cluster in `logDir` is left. The exit hook SIGKILLs them as the
 * fixture exits, but a killed JVM (no longer the fixture's child) may take a moment to be gone.
 */
const noneLeft = (logDir: string) => waitFor(() => clusterPids({ logDir } as KafkaCluster).length === 0, { timeoutMs: 15_000, message: `no process of the cluster in ${logDir} left` })

const exited = (child: ChildProcess) => new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])))

describe('a process ended by a signal', () => {
  it('removes its cluster and dies by the signal when it does not handle it', async () => {
    const { child, ready } = startFixture()
    const logDir = await ready
    const pids = clusterPids({ logDir } as KafkaCluster)
    expect(pids.length).toBe(2)
    const done = exited(child)
    child.kill('SIGTERM')
    // Killed by the signal, or (through tsx's wrapper, which relays it) exit code 128 + 15.
    const [code, signal] = await done
    expect(signal === 'SIGTERM' || code === 143).toBe(true)
    await noneLeft(logDir)
  })

  it('keeps the brokers up through the app’s own graceful shutdown, then removes them', async () => {
    const { child, output, ready } = startFixture('graceful')
    const logDir = await ready
    const done = exited(child)
    child.kill('SIGTERM')
    expect(await done).toEqual([0, null])
    expect(output()).toContain('during shutdown the cluster served 1 broker(s)')
    await noneLeft(logDir)
  })
})
