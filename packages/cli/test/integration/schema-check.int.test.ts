// Contract: `kafkit schema check` asks the real registry and exits 0 when compatible (or the subject is new), 1 when incompatible with the reasons on stderr, 2 for usage errors or an invalid file, 3 when the registry cannot be reached.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { SchemaRegistry } from '@kafkit/avro'
import { uniqueName } from '@kafkit/testkit'
import { runCli, type CliIo } from '../../src/index.js'

const root = join(import.meta.dirname, '../../../..')
const dir = mkdtempSync(join(tmpdir(), 'kafkit-schema-check-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const base = { type: 'record', name: 'Account', namespace: 'com.kafkit.cli', fields: [{ name: 'id', type: 'string' }] }
const files = {
  v1: join(dir, 'v1.avsc'),
  addedWithDefault: join(dir, 'v2-ok.avsc'),
  addedWithoutDefault: join(dir, 'v2-bad.avsc'),
  invalid: join(dir, 'invalid.avsc'),
}
writeFileSync(files.v1, JSON.stringify(base))
writeFileSync(files.addedWithDefault, JSON.stringify({ ...base, fields: [...base.fields, { name: 'tier', type: 'string', default: 'free' }] }))
writeFileSync(files.addedWithoutDefault, JSON.stringify({ ...base, fields: [...base.fields, { name: 'tier', type: 'string' }] }))
writeFileSync(files.invalid, '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}')

function io(env: Record<string, string> = {}): CliIo & { out: (l: string) => void; stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env, cwd: dir }
}

describe('kafkit schema check', () => {
  const url = inject('kafka').schemaRegistryUrl
  const subject = uniqueName('cli-accounts') + '-value'

  beforeAll(async () => {
    const registry = new SchemaRegistry({ url })
    await registry.setCompatibility(subject, 'BACKWARD')
    await registry.register(subject, base)
  })

  test('a compatible change exits 0', async () => {
    const run = io()
    expect(await runCli(['schema', 'check', files.addedWithDefault, '--subject', subject, '--registry', url], run)).toBe(0)
    expect(run.stdout.join('\n')).toMatch(/^compatible: .*BACKWARD/)
  })

  test('an incompatible change exits 1 and says why', async () => {
    const run = io()
    expect(await runCli(['schema', 'check', files.addedWithoutDefault, '--subject', subject, '--registry', url], run)).toBe(1)
    expect(run.stderr[0]).toContain(`INCOMPATIBLE: ${files.addedWithoutDefault} would be refused by subject "${subject}" (BACKWARD)`)
    expect(run.stderr.length).toBeGreaterThan(1)
  })

  test('--topic names the TopicName subject, the registry may come from SCHEMA_REGISTRY_URL, --json prints the verdict', async () => {
    const topic = subject.replace(/-value$/, '')
    const run = io({ SCHEMA_REGISTRY_URL: url })
    expect(await runCli(['schema', 'check', files.addedWithoutDefault, '--topic', topic, '--json'], run)).toBe(1)
    expect(JSON.parse(run.stdout[0] as string)).toMatchObject({ subject, compatible: false, subjectExists: true, compatibility: 'BACKWARD' })
  })

  test('a subject without versions accepts anything: exit 0', async () => {
    const run = io()
    expect(await runCli(['schema', 'check', files.addedWithoutDefault, '--subject', uniqueName('cli-new'), '--registry', url], run)).toBe(0)
    expect(run.stdout[0]).toContain('has no versions yet')
  })

  test('usage errors and an invalid schema file exit 2; an unreachable registry exits 3', async () => {
    expect(await runCli(['schema', 'check', files.v1, '--registry', url], io())).toBe(2)
    expect(await runCli(['schema', 'check', files.v1, '--subject', subject], io())).toBe(2)
    const invalid = io()
    expect(await runCli(['schema', 'check', files.invalid, '--subject', subject, '--registry', url], invalid)).toBe(2)
    expect(invalid.stderr[0]).toContain('nope')
    const down = io()
    expect(await runCli(['schema', 'check', files.v1, '--subject', subject, '--registry', 'http://127.0.0.1:9/apis/ccompat/v7'], down)).toBe(3)
    expect(down.stderr[0]).toMatch(/unreachable/)
  })

  test('the real executable exits with those codes (a CI gate)', () => {
    // Synchronous, so vitest's timeout cannot end it: its own bound does (SIGTERM, which
    // run-ts relays to the program), and a run ended that way has no exit status to pass.
    const bin = (file: string) =>
      spawnSync(process.execPath, [join(root, 'scripts/run-ts.mjs'), join(root, 'packages/cli/src/bin.ts'), 'schema', 'check', file, '--subject', subject, '--registry', url], {
        encoding: 'utf8',
        timeout: 25_000,
      })
    const ok = bin(files.addedWithDefault)
    expect(ok.status, ok.stderr).toBe(0)
    const bad = bin(files.addedWithoutDefault)
    expect(bad.status, bad.stderr).toBe(1)
    expect(bad.stderr).toContain('INCOMPATIBLE')
  }, 60_000)
})
