// Contract: every package builds to ESM + CommonJS with type declarations, passes publint
// --strict and "are the types wrong" (node16 from CJS and ESM, bundler), and its built entry
// loads both with require() and with import, outside the repo's source condition.
import { execFileSync, spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const packages = ['core', 'schema-registry', 'avro', 'protobuf', 'testkit', 'cli']

describe('published packages', () => {
  it('build and pass publint --strict and attw (turbo lint)', async () => {
    // Asynchronous: minutes of a blocked worker make vitest's own RPC from it time out.
    const result = await new Promise<{ status: number | null; output: string }>((resolve, reject) => {
      const child = spawn(join(root, 'node_modules', '.bin', 'turbo'), ['run', 'lint', '--output-logs=errors-only', '--log-order=grouped'], {
        cwd: root,
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()))
      const timer = setTimeout(() => child.kill('SIGKILL'), 600_000)
      child.on('error', reject)
      child.on('close', (status) => {
        clearTimeout(timer)
        resolve({ status, output })
      })
    })
    expect(result.status, result.output).toBe(0)
  }, 600_000)

  it.each(packages)('@kafkit/%s loads with require() and with import from its dist', (name) => {
    // A plain node, without the @kafkit/source condition: exactly what a service gets from npm.
    const cjs = execFileSync(process.execPath, ['-e', `console.log(Object.keys(require('@kafkit/${name}')).sort().join(','))`], { cwd: root, encoding: 'utf8' })
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import('@kafkit/${name}'); console.log(Object.keys(m).filter((k) => k !== 'default').sort().join(','))`], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(cjs.trim().length).toBeGreaterThan(0)
    expect(esm.trim()).toBe(cjs.trim())
  })
})
