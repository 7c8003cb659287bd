// Contract: every package builds to ESM + CommonJS with type declarations, passes publint
// --strict and "are the types wrong" (node16 from CJS and ESM, bundler), and its built entry
// loads both with require() and with import, outside the repo's source condition.
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const packages = ['core', 'schema-registry', 'avro', 'protobuf', 'testkit', 'cli']

describe('published packages', () => {
  it('build and pass publint --strict and attw (turbo lint)', () => {
    const result = spawnSync(join(root, 'node_modules', '.bin', 'turbo'), ['run', 'lint', '--output-logs=errors-only', '--log-order=grouped'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
      timeout: 600_000,
    })
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0)
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
