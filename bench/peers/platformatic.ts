// @platformatic/kafka as a peer: installed (current release) outside the repo and its lockfile,
// under the kafkit cache, and run in a Node child new enough for its `engines` (this Node when
// it is, else Node 22 through `npm exec --package=node@22`, a registry package that ships the
// binary). Shared by bench/failover.ts and the throughput/latency cases.
import { spawn, spawnSync } from 'node:child_process'
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheRoot } from '@kafkit/testkit'

const here = dirname(fileURLToPath(import.meta.url))
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** A prepared install: where it is, which Node runs it, which release it is. */
export interface PlatformaticInstall {
  dir: string
  node: string
  nodeVersion: string
  version: string
}

/** Whether `version` (e.g. `v22.23.3`) satisfies an engines range made of `>= x.y.z` alternatives. */
export function satisfiesEngines(version: string, range: string): boolean {
  const parse = (text: string) => text.replace(/^v/, '').split('.').map(Number)
  const [major = 0, minor = 0, patch = 0] = parse(version)
  return range.split('||').some((alternative) => {
    const match = /^\s*>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(alternative)
    if (match === null) return false
    const [, a = '0', b = '0', c = '0'] = match
    return major !== Number(a) ? major > Number(a) : minor !== Number(b) ? minor > Number(b) : patch >= Number(c)
  })
}

/**
 * Installs `@platformatic/kafka@latest` (and the repo's zod release, so a peer validates
 * records as kafkit does) under the kafkit cache, finds a Node for it and copies `scripts`
 * (files of bench/) beside it. Resolves to the install, or to the reason it cannot run here.
 */
export async function installPlatformatic(log: (line: string) => void, scripts: string[]): Promise<PlatformaticInstall | string> {
  const dir = join(cacheRoot(), 'bench', 'platformatic-kafka')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`)
  const zod = (createRequire(import.meta.url)('zod/package.json') as { version: string }).version
  log(`bench: npm install @platformatic/kafka@latest zod@${zod} (outside the repo)`)
  const installed = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', '--engine-strict=false', '@platformatic/kafka@latest', `zod@${zod}`], { cwd: dir, encoding: 'utf8' })
  if (installed.status !== 0) return `not run: npm install @platformatic/kafka failed: ${(installed.stderr ?? installed.error?.message ?? '').trim().slice(0, 300)}`
  const manifest = JSON.parse(await readFile(join(dir, 'node_modules', '@platformatic', 'kafka', 'package.json'), 'utf8')) as { version: string; engines?: { node?: string } }
  const engines = manifest.engines?.node ?? '>= 0'
  let node = process.execPath
  let nodeVersion = process.version
  if (!satisfiesEngines(process.version, engines)) {
    log('bench: npm exec --package=node@22 (a Node 22 binary from the npm registry)')
    const found = spawnSync(npm, ['exec', '--yes', '--package=node@22', '--', 'node', '-p', 'process.execPath + " " + process.version'], { cwd: dir, encoding: 'utf8' })
    const [path, got] = (found.stdout ?? '').trim().split('\n').pop()?.split(' ') ?? []
    if (found.status !== 0 || path === undefined || got === undefined || !satisfiesEngines(got, engines)) {
      return `not run: needs Node ${engines}, this machine has ${process.version}, and npm exec --package=node@22 gave ${got ?? `nothing (${found.stderr?.trim().slice(0, 200)})`}`
    }
    node = path
    nodeVersion = got
  }
  for (const script of scripts) await copyFile(join(here, '..', script), join(dir, script.split('/').pop()!))
  return { dir, node, nodeVersion, version: manifest.version }
}

/**
 * Runs `script` (copied beside the install) with one JSON argument and resolves to the JSON of
 * its last stdout line. The child is killed, by its own pid, after `limitMs`.
 */
export function runPlatformatic<T>(install: PlatformaticInstall, script: string, args: unknown, limitMs = 300_000, nodeArgs: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(install.node, [...nodeArgs, join(install.dir, script), JSON.stringify(args)], { cwd: install.dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
      if (stderr.length > 8_000) stderr = stderr.slice(-4_000)
    })
    const guard = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(guard)
      const last = stdout.trim().split('\n').pop() ?? ''
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as T)
      else reject(new Error(`${script} exited ${code ?? signal}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`))
    })
  })
}
