// Contract: `kafkit schema check` takes .proto files (imports as references to their registered versions) and JSON Schema files as well as .avsc, asks the real registry, and exits 0 for a compatible change, 1 for an incompatible one with the registry's reason on stderr, 2 for a file that does not parse.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { protobuf, protoFile, SchemaRegistry } from '@kafkit/protobuf'
import { uniqueName } from '@kafkit/testkit'
import { runCli, type CliIo } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'kafkit-schema-check-formats-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function io(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {}, cwd: dir }
}

describe('kafkit schema check with .proto files', () => {
  const url = inject('kafka').schemaRegistryUrl
  const topic = uniqueName('cli-orders')
  // The import's subject is its import path: unique per run so runs do not see each other's versions.
  const moneyName = `${uniqueName('shop')}/money.proto`
  const order = (fields: string) => `syntax = "proto3";\npackage shop;\nimport "${moneyName}";\nmessage Order {\n  string id = 1;\n  shop.common.Money total = 2;\n${fields}}\n`
  const files = { ok: join(dir, 'protos', 'order-ok.proto'), bad: join(dir, 'protos', 'order-bad.proto'), broken: join(dir, 'protos', 'broken.proto') }

  beforeAll(async () => {
    cpSync(join(import.meta.dirname, '../fixtures/protobuf/shop/money.proto'), join(dir, 'protos', moneyName))
    writeFileSync(files.ok, order('  string note = 3;\n'))
    writeFileSync(files.bad, order('  int64 note = 3;\n').replace('string id = 1', 'int32 id = 1'))
    writeFileSync(files.broken, 'syntax = "proto3";\nmessage B { Nope n = 1; }\n')
    const registry = new SchemaRegistry({ url })
    await registry.setCompatibility(`${topic}-value`, 'BACKWARD')
    // What the producing service registers today: v1 of the file, its import as a reference.
    const money = protoFile(moneyName, readFileSync(join(dir, 'protos', moneyName), 'utf8'))
    await protobuf(protoFile('shop/order.proto', order(''), [money]), 'shop.Order', { registry }).encode({ id: 'o1' }, { topic, field: 'value' })
  })

  test('a field added: exit 0', async () => {
    const run = io()
    expect(await runCli(['schema', 'check', files.ok, '--topic', topic, '--registry', url, '-I', join(dir, 'protos')], run)).toBe(0)
    expect(run.stdout.join('\n')).toMatch(/^compatible: .*BACKWARD/)
  })

  test('a field whose type changed: exit 1 with the reason', async () => {
    const run = io()
    expect(await runCli(['schema', 'check', files.bad, '--topic', topic, '--registry', url, '-I', join(dir, 'protos')], run)).toBe(1)
    expect(run.stderr[0]).toContain(`INCOMPATIBLE: ${files.bad} would be refused by subject "${topic}-value" (BACKWARD)`)
    expect(run.stderr.slice(1).join('\n')).toMatch(/not backward compatible/)
  })

  test('a file that does not resolve: exit 2 naming the type', async () => {
    const run = io()
    expect(await runCli(['schema', 'check', files.broken, '--topic', topic, '--registry', url], run)).toBe(2)
    expect(run.stderr[0]).toMatch(/broken\.proto.*Nope/)
  })
})

describe('kafkit schema check with JSON Schema files', () => {
  const url = inject('kafka').schemaRegistryUrl
  const subject = `${uniqueName('cli-profiles')}-value`
  const v1 = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { userId: { type: 'string' }, visits: { type: 'integer' } }, required: ['userId', 'visits'], additionalProperties: false }
  const files = { ok: join(dir, 'profile-ok.json'), bad: join(dir, 'profile-bad.schema'), broken: join(dir, 'broken.json') }

  beforeAll(async () => {
    writeFileSync(files.ok, JSON.stringify({ ...v1, properties: { ...v1.properties, country: { type: 'string', default: 'unknown' } } }))
    writeFileSync(files.bad, JSON.stringify({ ...v1, properties: { ...v1.properties, visits: { type: 'string' } } }))
    writeFileSync(files.broken, '{"type": "object",')
    const registry = new SchemaRegistry({ url })
    await registry.setCompatibility(subject, 'BACKWARD')
    await registry.register(subject, { schema: JSON.stringify(v1), schemaType: 'JSON' })
  })

  test('an optional property added to a closed object: exit 0', async () => {
    const run = io()
    expect(await runCli(['schema', 'check', files.ok, '--subject', subject, '--registry', url], run)).toBe(0)
  })

  test('a property whose type changed (any file name, with --type json): exit 1 with the path', async () => {
    const run = io()
    expect(await runCli(['schema', 'check', files.bad, '--type', 'json', '--subject', subject, '--registry', url, '--json'], run)).toBe(1)
    const verdict = JSON.parse(run.stdout[0] as string) as { compatible: boolean; messages: string[] }
    expect(verdict.compatible).toBe(false)
    expect(verdict.messages.join(' ')).toContain('/properties/visits')
  })

  test('a file that is not JSON exits 2; an unknown extension without --type is a usage error', async () => {
    expect(await runCli(['schema', 'check', files.broken, '--subject', subject, '--registry', url], io())).toBe(2)
    const run = io()
    expect(await runCli(['schema', 'check', files.bad, '--subject', subject, '--registry', url], run)).toBe(2)
    expect(run.stderr.join('\n')).toContain('--type avro|protobuf|json')
  })
})
