import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cacheRoot } from './cache.js'
import { TestkitError } from './errors.js'
import { installExitHook } from './exit-hook.js'

/** A child process with its output in a log file; stopped by pid (its whole process group). */
export interface ManagedProcess {
  readonly name: string
  readonly logFile: string
  readonly pid: number
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>
  /** True once the process has exited. */
  hasExited(): boolean
  /** Sends `signal` to the process group and waits up to `graceMs` before SIGKILL. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>
}

/**
 * Files under `<cache>/run/` record the pids each testkit owner started, so that a later
 * run can stop what a crashed one (SIGKILLed test worker, killed terminal) left behind.
 */
function runDir(): string {
  const dir = join(cacheRoot(), 'run')
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Whether a process with this pid exists (signal 0 probes without touching it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The marker every child's command line carries, so a recycled pid is never killed by mistake. */
export function ownerMarker(ownerId: string): string {
  return `-Dkafkit.owner=${ownerId}`
}

function carriesMarker(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker)
  } catch {
    return false
  }
}

/**
 * Stops processes recorded by owners that no longer run (a crashed test run, a killed
 * terminal). Owners that still run, such as a `kafka:up` stack in use, are left alone.
 */
export function reapOrphans(log: (line: string) => void): void {
  for (const file of readdirSync(runDir())) {
    if (!file.endsWith('.json')) continue
    const path = join(runDir(), file)
    let record: { ownerPid: number; ownerId: string; pids: number[]; dirs: string[] }
    try {
      record = JSON.parse(readFileSync(path, 'utf8'))
    } catch {
      rmSync(path, { force: true })
      continue
    }
    // ownerPid 0: a stack started by `kafka:up`, which lives until `kafka:down`.
    if (record.ownerPid === 0 || isAlive(record.ownerPid)) continue
    const marker = ownerMarker(record.ownerId)
    for (const pid of record.pids) {
      if (isAlive(pid) && carriesMarker(pid, marker)) {
        log(`kafkit: stopping pid ${pid} left behind by an earlier run that died`)
        killGroup(pid, 'SIGKILL')
      }
    }
    for (const dir of record.dirs) rmSync(dir, { recursive: true, force: true })
    rmSync(path, { force: true })
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      /* already gone */
    }
  }
}

/**
 * Stops what the owner `ownerId` recorded (e.g. a `kafka:up` stack): SIGTERM to each of its
 * process groups that still carries the owner's marker, SIGKILL after `graceMs`, then its dirs.
 */
export async function stopOwner(ownerId: string, graceMs = 15_000): Promise<void> {
  const path = join(runDir(), `${ownerId}.json`)
  if (!existsSync(path)) return
  const record = JSON.parse(readFileSync(path, 'utf8')) as { pids: number[]; dirs: string[] }
  const marker = ownerMarker(ownerId)
  const ours = record.pids.filter((pid) => isAlive(pid) && carriesMarker(pid, marker))
  ours.forEach((pid) => killGroup(pid, 'SIGTERM'))
  const deadline = Date.now() + graceMs
  while (ours.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
  ours.filter(isAlive).forEach((pid) => killGroup(pid, 'SIGKILL'))
  while (ours.some(isAlive)) await new Promise((r) => setTimeout(r, 50))
  for (const dir of record.dirs) rmSync(dir, { recursive: true, force: true })
  rmSync(path, { force: true })
}

/**
 * Owns the processes and temp dirs of one cluster: records them for the reaper, and
 * removes them on {@link ProcessGroup.stopAll}, on process exit and on SIGINT/SIGTERM.
 */
export class ProcessGroup {
  readonly ownerId: string
  private readonly processes = new Set<ManagedProcess>()
  private readonly dirs = new Set<string>()
  private readonly recordFile: string
  private exitHook: { remove: () => void } | undefined

  /**
   * @param stopOnExit remove everything when this Node process exits or is signalled
   * @param persistent the processes outlive this Node process (`kafka:up`): the reaper leaves them alone
   */
  constructor(stopOnExit: boolean, persistent = false) {
    const ownerPid = persistent ? 0 : process.pid
    this.ownerId = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    this.recordFile = join(runDir(), `${this.ownerId}.json`)
    if (stopOnExit) this.exitHook = installExitHook(() => this.killAllSync())
    this.ownerPid = ownerPid
  }

  private readonly ownerPid: number

  /** Registers a temp dir to delete with the group. */
  addDir(dir: string): void {
    this.dirs.add(dir)
    this.persist()
  }

  /** Pids this group still runs. */
  pids(): number[] {
    return [...this.processes].filter((p) => !p.hasExited()).map((p) => p.pid)
  }

  /**
   * Starts `command` in its own process group with stdout and stderr appended to `logFile`.
   * `detached` keeps it alive after this Node process exits (for `kafka:up`).
   */
  spawn(name: string, command: string, args: string[], options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean }): ManagedProcess {
    const fd = openSync(options.logFile, 'a')
    let child: ChildProcess
    try {
      child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', fd, fd],
        detached: true,
      })
    } finally {
      closeSync(fd)
    }
    if (child.pid === undefined) {
      throw new TestkitError('TESTKIT_MISSING_TOOL', `could not start ${name}: '${command}' did not start (is it installed?)`)
    }
    if (options.detached) child.unref()
    const pid = child.pid
    let done = false
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true
        resolve(signal ?? String(code))
      })
      child.once('error', (error) => {
        done = true
        resolve(`error: ${error.message}`)
      })
    })
    const managed: ManagedProcess = {
      name,
      logFile: options.logFile,
      pid,
      exited,
      hasExited: () => done,
      stop: async (signal = 'SIGTERM', graceMs = 10_000) => {
        if (done) return
        killGroup(pid, signal)
        const timer = new Promise<'timeout'>((r) => setTimeout(r, graceMs, 'timeout').unref())
        if ((await Promise.race([exited, timer])) === 'timeout') {
          killGroup(pid, 'SIGKILL')
          await exited
        }
      },
    }
    this.processes.add(managed)
    this.persist()
    return managed
  }

  /** Forgets a process that was stopped for good (e.g. replaced after a restart). */
  forget(process_: ManagedProcess): void {
    this.processes.delete(process_)
    this.persist()
  }

  /** Stops every process (SIGTERM, then SIGKILL after `graceMs`) and deletes the temp dirs. */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all([...this.processes].reverse().map((p) => p.stop('SIGTERM', graceMs)))
    this.processes.clear()
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true })
    this.dirs.clear()
    this.detach()
  }

  private killAllSync(): void {
    for (const p of this.processes) if (!p.hasExited()) killGroup(p.pid, 'SIGKILL')
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true })
    rmSync(this.recordFile, { force: true })
  }

  private detach(): void {
    this.exitHook?.remove()
    this.exitHook = undefined
    rmSync(this.recordFile, { force: true })
  }

  private persist(): void {
    const record = { ownerPid: this.ownerPid, ownerId: this.ownerId, pids: [...this.processes].map((p) => p.pid), dirs: [...this.dirs] }
    writeFileSync(this.recordFile, JSON.stringify(record))
  }
}

/** The last `lines` lines of a log file, for error messages. */
export function tailFile(file: string, lines = 40): string {
  if (!existsSync(file)) return '(no log written)'
  const text = readFileSync(file, 'utf8').trimEnd().split('\n')
  return text.slice(-lines).join('\n')
}
