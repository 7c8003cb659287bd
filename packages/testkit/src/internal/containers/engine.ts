/**
 * Finding or starting the container engine of the `containers` backend.
 *
 * A Docker-compatible engine that already answers (`DOCKER_HOST`, `/var/run/docker.sock`) is
 * used as it is. Otherwise the testkit runs Debian's podman as a Docker-API service of its own:
 * `podman system service` on a socket under the kafkit cache dir, configured by the
 * `containers.conf` shipped in `packages/testkit/containers/` (through `CONTAINERS_CONF`,
 * never by writing to /etc).
 *
 * That podman service is a long-lived daemon, like dockerd: it stays running after the test
 * run so the next run starts in milliseconds, and it holds no containers of ours once
 * `cluster.stop()` has run. {@link stopPodmanService} stops it for a full cleanup (its pid is
 * recorded in `<cache>/podman/podman.pid`).
 */
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cacheRoot, packageDir } from '../cache.js'
import { TestkitError } from '../errors.js'
import { withFileLock } from './lock.js'

/** A Docker-API endpoint that answered, and what runs behind it. */
export interface ContainerEngine {
  /** `unix:///path/to.sock` or `tcp://host:port`, as `DOCKER_HOST` takes it. */
  readonly dockerHost: string
  readonly kind: 'docker' | 'podman'
}

/** Where the testkit's own podman service lives. */
export interface PodmanServicePaths {
  readonly dir: string
  readonly socket: string
  readonly pidFile: string
  readonly logFile: string
}

/** Longest path a unix socket address may have on Linux (sun_path is 108 bytes). */
const MAX_SOCKET_PATH = 100

/** The socket, pid and log files of the testkit's podman service. */
export function podmanServicePaths(): PodmanServicePaths {
  let dir = join(cacheRoot(), 'podman')
  // A deep cache dir would overflow sun_path; fall back to a short per-user temp dir then.
  if (join(dir, 'podman.sock').length > MAX_SOCKET_PATH) dir = join(tmpdir(), `kafkit-podman-${process.getuid?.() ?? 'user'}`)
  return { dir, socket: join(dir, 'podman.sock'), pidFile: join(dir, 'podman.pid'), logFile: join(dir, 'podman-service.log') }
}

/** The containers.conf shipped with the package (runc runtime, explicit ulimits). */
export function containersConfPath(): string {
  return join(packageDir(), 'containers', 'containers.conf')
}

/**
 * Finds a container engine that answers now, without starting or installing anything:
 * `DOCKER_HOST` when set, else `/var/run/docker.sock`, else the testkit's own podman service
 * left running by an earlier run.
 * @returns the engine, or `undefined` when none answers
 */
export async function detectContainerEngine(): Promise<ContainerEngine | undefined> {
  const fromEnv = process.env['DOCKER_HOST']
  if (fromEnv) {
    const kind = await pingEngine(fromEnv)
    // An explicit DOCKER_HOST that does not answer is not silently replaced by another engine.
    return kind ? { dockerHost: fromEnv, kind } : undefined
  }
  for (const socket of ['/var/run/docker.sock', podmanServicePaths().socket]) {
    if (!existsSync(socket)) continue
    const dockerHost = `unix://${socket}`
    const kind = await pingEngine(dockerHost)
    if (kind) return { dockerHost, kind }
  }
  return undefined
}

/**
 * The engine the `containers` backend will use, made ready for testcontainers.
 * A Docker engine (or any engine behind `DOCKER_HOST`) that answers is returned as is. Else the
 * testkit's podman service is started, when podman is installed, or with `required` also
 * installed with apt-get ({@link ensurePodmanEngine}).
 * @param options.required throw a clear error instead of returning `undefined` when no engine
 *   can be had (`backend: 'auto'` passes false and falls back to the JVM backend)
 */
export async function prepareContainerEngine(
  log: (line: string) => void,
  options: { required: boolean },
): Promise<ContainerEngine | undefined> {
  const found = await detectContainerEngine()
  if (found && found.dockerHost !== `unix://${podmanServicePaths().socket}`) return found
  if (!found && process.env['DOCKER_HOST']) {
    // An explicit DOCKER_HOST is the user's choice: never replace it with podman behind their back.
    if (!options.required) return undefined
    throw engineError(`DOCKER_HOST=${process.env['DOCKER_HOST']} does not answer; start that engine, unset DOCKER_HOST, or use KAFKIT_BACKEND=jvm`)
  }
  if (!options.required && !found && !commandWorks('podman', ['--version'])) return undefined
  try {
    return await ensurePodmanEngine(log)
  } catch (error) {
    if (options.required) throw error
    log(`kafkit: no container engine (${error instanceof Error ? error.message : String(error)}); using the jvm backend`)
    return undefined
  }
}

/**
 * Makes sure the testkit's podman service answers and points this process at it: installs
 * podman and runc with apt-get when missing (root only), starts `podman system service`
 * detached on a socket under the kafkit cache dir (or reuses the one already running), and
 * sets `DOCKER_HOST`, `CONTAINERS_CONF`, `TESTCONTAINERS_RYUK_DISABLED=true` and
 * `TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1` in `process.env` for testcontainers.
 *
 * Idempotent and safe across concurrent test processes (a file lock guards the start).
 * The service keeps running after this process exits; see {@link stopPodmanService}.
 * @throws TestkitError TESTKIT_ENGINE_UNAVAILABLE naming the cause
 */
export async function ensurePodmanEngine(log: (line: string) => void): Promise<ContainerEngine> {
  const paths = podmanServicePaths()
  const conf = containersConfPath()
  if (!existsSync(conf)) throw engineError(`${conf} is missing from the @kafkit/testkit package`)
  // Every podman command of this process (builds, imports) must see the same configuration.
  process.env['CONTAINERS_CONF'] = conf
  ensurePodmanInstalled(log)
  mkdirSync(paths.dir, { recursive: true })
  const dockerHost = `unix://${paths.socket}`
  await withFileLock(join(paths.dir, 'service.lock'), async () => {
    if ((await pingEngine(dockerHost)) === 'podman') return
    await startPodmanService(paths, conf, log)
  })
  process.env['DOCKER_HOST'] = dockerHost
  // No ryuk image can be pulled without a registry: the backend removes what it creates itself.
  process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true'
  // The service runs on this machine, so published ports are on its loopback. Without this,
  // testcontainers (which sees /.dockerenv in sandboxes) looks for a gateway, or runs alpine.
  process.env['TESTCONTAINERS_HOST_OVERRIDE'] ??= '127.0.0.1'
  return { dockerHost, kind: 'podman' }
}

/**
 * Stops the testkit's podman service (the pid in its pid file) and removes its socket.
 * Containers and images stay in podman's storage; images are reused by the next run.
 * @returns whether a running service was stopped
 */
export async function stopPodmanService(): Promise<boolean> {
  const paths = podmanServicePaths()
  const pid = readServicePid(paths)
  let stopped = false
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGTERM')
      stopped = true
      const deadline = Date.now() + 10_000
      while (isAlive(pid) && Date.now() < deadline) await sleep(100)
      if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  rmSync(paths.pidFile, { force: true })
  rmSync(paths.socket, { force: true })
  return stopped
}

/** Installs podman + runc with apt-get when they are missing and we are root on Debian/Ubuntu. */
function ensurePodmanInstalled(log: (line: string) => void): void {
  const missing = ['podman', 'runc'].filter((command) => !commandWorks(command, ['--version']))
  if (missing.length === 0) return
  const what = missing.join(' and ')
  if (!commandWorks('apt-get', ['--version'])) {
    throw engineError(`${what} is not installed and apt-get is not available: install podman (with runc) or Docker, or use KAFKIT_BACKEND=jvm`)
  }
  if (process.getuid?.() !== 0) {
    throw engineError(`${what} is not installed and installing it needs root: run \`sudo apt-get install -y podman runc\`, or install Docker, or use KAFKIT_BACKEND=jvm`)
  }
  log(`kafkit: installing ${missing.join(' ')} with apt-get (once)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // With recommends, and the network stack named: rootful container networking and published
  // ports need netavark, aardvark-dns and iptables, which podman itself only recommends or
  // suggests. This is the set measured to work here.
  const install = ['install', '-y', 'podman', 'runc', 'netavark', 'aardvark-dns', 'iptables', 'uidmap', 'slirp4netns']
  let result = spawnSync('apt-get', install, { env, encoding: 'utf8' })
  if (result.status !== 0) {
    // A fresh machine often has no package lists yet.
    spawnSync('apt-get', ['update'], { env, encoding: 'utf8' })
    result = spawnSync('apt-get', install, { env, encoding: 'utf8' })
  }
  if (result.status !== 0) {
    throw engineError(`apt-get ${install.join(' ')} failed (exit ${result.status}):\n${tail(`${result.stdout}${result.stderr}`, 15)}`)
  }
}

/** Starts `podman system service` detached and waits until its socket answers. */
async function startPodmanService(paths: PodmanServicePaths, conf: string, log: (line: string) => void): Promise<void> {
  // A stale socket file from a killed service would make the new one fail to bind.
  rmSync(paths.socket, { force: true })
  const stalePid = readServicePid(paths)
  if (stalePid !== undefined) {
    // Alive but not answering: hung; it is ours (its command line names our socket).
    try {
      process.kill(stalePid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  }
  log(`kafkit: starting podman system service on ${paths.socket} (stays running for later runs; log ${paths.logFile})`)
  const logFd = openSync(paths.logFile, 'a')
  const child = spawn('podman', ['system', 'service', '--time=0', `unix://${paths.socket}`], {
    // The service outlives this process: not in its cwd (a checkout or temp dir that may be
    // deleted), or every later container start fails with conmon's "Failed to get working
    // directory" and "write child: broken pipe".
    cwd: paths.dir,
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, CONTAINERS_CONF: conf },
  })
  closeSync(logFd)
  let exited: string | undefined
  child.once('exit', (code, signal) => (exited = `exit ${code ?? signal}`))
  child.once('error', (error) => (exited = error.message))
  child.unref()
  if (child.pid === undefined) throw engineError(`could not start podman system service: ${exited ?? 'no pid'}`)
  writeFileSync(paths.pidFile, String(child.pid))
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (exited) break
    if ((await pingEngine(`unix://${paths.socket}`)) !== undefined) return
    await sleep(100)
  }
  const logTail = existsSync(paths.logFile) ? tail(readFileSync(paths.logFile, 'utf8'), 20) : ''
  if (!exited) {
    try {
      process.kill(child.pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  rmSync(paths.pidFile, { force: true })
  throw engineError(
    `podman system service ${exited ? `stopped (${exited})` : 'did not answer within 20 s'} on ${paths.socket}\n--- ${paths.logFile} ---\n${logTail}`,
  )
}

/** The pid in the pid file when that process is alive and is our podman service. */
function readServicePid(paths: PodmanServicePaths): number | undefined {
  if (!existsSync(paths.pidFile)) return undefined
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim())
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined
  try {
    // Never signal a recycled pid: the process must be podman serving our socket.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (!cmdline.includes('podman') || !cmdline.includes(paths.socket)) return undefined
  } catch {
    // no /proc (not Linux): trust the pid file
  }
  return pid
}

/**
 * `GET /_ping` then `GET /version` on a Docker-API endpoint.
 * @returns the engine kind, or `undefined` when it does not answer within 3 s
 */
export async function pingEngine(dockerHost: string): Promise<ContainerEngine['kind'] | undefined> {
  const ping = await engineGet(dockerHost, '/_ping')
  if (ping?.status !== 200) return undefined
  const version = await engineGet(dockerHost, '/version')
  // Podman's compat API names itself in the component list; Docker never says "Podman".
  return version && /podman/i.test(version.body) ? 'podman' : 'docker'
}

function engineGet(dockerHost: string, path: string): Promise<{ status: number; body: string } | undefined> {
  let target: { socketPath: string } | { host: string; port: number }
  try {
    if (dockerHost.startsWith('unix://')) {
      const socketPath = dockerHost.slice('unix://'.length)
      if (!existsSync(socketPath) || !statSync(socketPath).isSocket()) return Promise.resolve(undefined)
      target = { socketPath }
    } else if (dockerHost.startsWith('tcp://') || dockerHost.startsWith('http://')) {
      const url = new URL(dockerHost.replace(/^tcp:/, 'http:'))
      target = { host: url.hostname, port: Number(url.port || 2375) }
    } else {
      return Promise.resolve(undefined)
    }
  } catch {
    return Promise.resolve(undefined)
  }
  return new Promise((resolve) => {
    const req = request({ ...target, path, method: 'GET', timeout: 3000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', () => resolve(undefined))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(undefined))
    req.end()
  })
}

function commandWorks(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' })
  return !result.error && result.status === 0
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function engineError(message: string): TestkitError {
  return new TestkitError('TESTKIT_ENGINE_UNAVAILABLE', `containers backend: ${message}`)
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
