// First step of every root command: checks Node and installs the workspace's dependencies
// when they are missing or older than the lockfile, so a fresh clone needs nothing done first.
// Plain Node, no dependencies: it runs before anything is installed.
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 10)) {
  console.error(`kafkit needs Node.js 20.10 or newer; this is ${process.version}. Install a current Node.js LTS and try again.`)
  process.exit(1)
}

const lock = join(root, 'package-lock.json')
const installed = join(root, 'node_modules', '.package-lock.json')
const stale = !existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs
if (stale) {
  // `npm ci`: installs exactly what package-lock.json pins and never rewrites it, so a fresh
  // clone stays clean. The lockfile lists every platform's optional packages (rollup's,
  // turbo's); `npm ci` refuses a lockfile that lacks them.
  console.error('kafkit: installing dependencies (npm ci, from package-lock.json)…')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`kafkit: 'npm ci' failed${result.error ? `: ${result.error.message}` : ' (npm says why above)'}`)
    process.exit(result.status ?? 1)
  }
}
