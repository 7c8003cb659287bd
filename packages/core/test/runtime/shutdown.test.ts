import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { type SignalProcess, ShutdownCoordinator } from '../../src/runtime/shutdown.js'
import { Gate } from './fake-engine.js'

// One coordinator per process: a signal stops every registered consumer/pipeline side by
// side and is raised again once, after the last one finished; a second signal lets go.

/** A process stand-in: signals are emitted by the test, `kill` is recorded. */
class FakeProcess extends EventEmitter implements SignalProcess {
  readonly pid = 4242
  readonly killed: NodeJS.Signals[] = []
  kill(_pid: number, signal: NodeJS.Signals): boolean {
    this.killed.push(signal)
    return true
  }
  override listenerCount(signal: NodeJS.Signals): number {
    return super.listenerCount(signal)
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('ShutdownCoordinator', () => {
  it('stops every member and raises the signal again once, only after the slowest finished', async () => {
    const proc = new FakeProcess()
    const coordinator = new ShutdownCoordinator(proc)
    const slow = new Gate()
    const log: string[] = []
    const unregister: (() => void)[] = []
    unregister.push(coordinator.register(['SIGTERM', 'SIGINT'], async (reason) => {
      log.push(`fast ${reason}`)
      unregister[0]!()
    }))
    unregister.push(coordinator.register(['SIGTERM', 'SIGINT'], async (reason) => {
      log.push(`slow ${reason}`)
      await slow.promise
      log.push('slow committed')
      unregister[1]!()
    }))
    expect(proc.listenerCount('SIGTERM')).toBe(1)
    proc.emit('SIGTERM')
    await settle()
    expect(log).toEqual(['fast signal SIGTERM', 'slow signal SIGTERM'])
    // The fast one is done, the slow one still commits: the process must live on.
    expect(proc.killed).toEqual([])
    slow.open()
    await settle()
    expect(log.at(-1)).toBe('slow committed')
    expect(proc.killed).toEqual(['SIGTERM'])
    expect(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT')).toBe(0)
  })

  it('lets go at once on a second signal', async () => {
    const proc = new FakeProcess()
    const coordinator = new ShutdownCoordinator(proc)
    const never = new Gate()
    coordinator.register(['SIGTERM', 'SIGINT'], () => never.promise)
    proc.emit('SIGTERM')
    await settle()
    expect(proc.killed).toEqual([])
    proc.emit('SIGINT')
    expect(proc.killed).toEqual(['SIGINT'])
    expect(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT')).toBe(0)
  })

  it('does not raise the signal again when someone else listens (the app, the testkit exit hook)', async () => {
    const proc = new FakeProcess()
    const coordinator = new ShutdownCoordinator(proc)
    proc.on('SIGTERM', () => {})
    coordinator.register(['SIGTERM'], async () => {})
    proc.emit('SIGTERM')
    await settle()
    expect(proc.killed).toEqual([])
    expect(proc.listenerCount('SIGTERM')).toBe(1)
  })

  it('removes its listeners once the last member unregistered (stopped by the app)', () => {
    const proc = new FakeProcess()
    const coordinator = new ShutdownCoordinator(proc)
    const a = coordinator.register(['SIGTERM'], async () => {})
    const b = coordinator.register(['SIGTERM', 'SIGINT'], async () => {})
    b()
    expect([proc.listenerCount('SIGTERM'), proc.listenerCount('SIGINT')]).toEqual([1, 0])
    a()
    expect(proc.listenerCount('SIGTERM')).toBe(0)
  })
})

describe('signals in a real process', () => {
  // A child node that compiles TypeScript as it starts: seconds on a busy machine, past the 5 s default timeout.
  it('SIGTERM: the process ends by the signal only after every member finished', async () => {
    const script = fileURLToPath(new URL('../consumer/fixtures/two-members.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@kafkit/source', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      let out = ''
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => ((out += chunk.toString()), out.includes('ready') && resolve()))
        void exited.then((how) => reject(new Error(`the fixture exited before it was ready: ${JSON.stringify(how)}\n${out}`)))
      })
      await ready
      child.kill('SIGTERM')
      expect(await exited).toEqual({ code: null, signal: 'SIGTERM' })
      expect(out.trim().split('\n')).toEqual(['ready', 'fast stopped', 'slow committed'])
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  }, 60_000)
})
