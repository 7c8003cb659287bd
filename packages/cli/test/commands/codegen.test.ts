import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, test } from 'vitest'
import { avro } from '@kafkit/avro'
import { runCli, type CliIo } from '../../src/index.js'

const root = join(import.meta.dirname, '../../../..')
// Asynchronous: tsc takes tens of seconds on a busy machine, and a blocked worker cannot answer vitest meanwhile.
const tsc = promisify(execFile)
const fixtures = join(import.meta.dirname, '../fixtures/avro')
// Inside the repo (and git-ignored) so the generated code resolves @kafkit/avro like a user's would.
const work = join(root, '.kafkit', `codegen-test-${process.pid}-${Date.now()}`)
afterAll(() => {
  if (!process.env['KAFKIT_KEEP_CODEGEN']) rmSync(work, { recursive: true, force: true })
})

function io(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = []
  const errors: string[] = []
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), env: {}, cwd: root }
}

describe('kafkit codegen avro', () => {
  const out = join(work, 'generated')

  test('generates one module per .avsc, found recursively', async () => {
    const run = io()
    expect(await runCli(['codegen', 'avro', fixtures, '-o', out], run)).toBe(0)
    expect(readdirSync(out).sort()).toEqual(['account.ts', 'order-event.ts', 'scalar-union.ts', 'user.ts'])
    expect(run.lines).toHaveLength(4)
    const user = readFileSync(join(out, 'user.ts'), 'utf8')
    expect(user).toContain('export const UserSchema = {')
    expect(user).toContain('export interface User {')
    expect(user).toContain('  createdAt: Date')
    expect(user).toContain('export type Role = "ADMIN" | "MEMBER"')
    expect(user).toContain('/** Stable id. */')
  })

  test('the output compiles with tsc and its types equal what avro() infers from the schema constant', async () => {
    writeFileSync(
      join(work, 'check.ts'),
      `import { avro, type AvroValue } from '@kafkit/avro'
import { type User, type Address, type Role, UserSchema } from './generated/user.js'
import { type OrderEvent, OrderEventSchema } from './generated/order-event.js'
import { type ScalarUnion, ScalarUnionSchema } from './generated/scalar-union.js'
import { type Account, type AccountValue, AccountValueSchema } from './generated/account.js'
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
export const user: Equals<User, AvroValue<typeof UserSchema>> = true
export const order: Equals<OrderEvent['lines'], AvroValue<typeof OrderEventSchema>['lines']> = true
export const scalar: Equals<ScalarUnion, string | number | null> = true
export const account: Equals<AccountValue, AvroValue<typeof AccountValueSchema>> = true
export const nullable: Equals<AccountValue, Account | null> = true
export const role: Equals<Role, User['role']> = true
export const address: Equals<Address['zip'], string | null> = true
export const next: Equals<NonNullable<OrderEvent['next']>['orderId'], string> = true
// A generated interface is what a serde decodes to.
export const serde = avro(UserSchema)
export const decoded: Equals<ReturnType<typeof serde.decode>, User> = true
`,
    )
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['check.ts', 'generated'] }))
    // Only diagnostics in the generated code or the checks count: the packages it imports
    // (compiled from source here) are typechecked by their own projects.
    let output = ''
    try {
      await tsc(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: work, encoding: 'utf8' })
    } catch (error) {
      output = (error as { stdout?: string }).stdout ?? String(error)
    }
    const ours = output.split('\n').filter((line) => /^(check\.ts|generated\/)/.test(line))
    expect(ours, output).toEqual([])
    expect(output).not.toMatch(/error TS(5|6)\d{3}/) // tsconfig/setup errors would hide real ones
  }, 180_000)

  test('the schema constant is the .avsc file, and encodes values of the generated type', async () => {
    const generated = (await import(join(out, 'user.ts'))) as { UserSchema: unknown }
    expect(generated.UserSchema).toEqual(JSON.parse(readFileSync(join(fixtures, 'user.avsc'), 'utf8')))
    const serde = avro(generated.UserSchema)
    const ctx = { topic: 'users', field: 'value' as const }
    const value = {
      id: '8d7f8a1e-3c2a-4a7b-9a55-2a3b4c5d6e7f',
      email: null,
      age: 30,
      createdAt: new Date(1_700_000_000_000),
      balance: '10.00',
      role: 'ADMIN',
      tags: ['x'],
      prefs: { dark: true, beta: null },
      home: { city: 'Oslo', zip: null },
      previous: [],
      avatar: null,
    }
    expect(serde.decode(serde.encode(value, ctx) as Buffer, ctx)).toEqual(value)
  })

  test('an invalid schema file fails with exit code 2, naming the file, and writes nothing', async () => {
    const bad = join(work, 'bad')
    mkdirSync(bad, { recursive: true })
    writeFileSync(join(bad, 'broken.avsc'), JSON.stringify({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'Missing' }] }))
    const run = io()
    expect(await runCli(['codegen', 'avro', bad, '-o', join(work, 'never')], run)).toBe(2)
    expect(run.errors.join('\n')).toMatch(/broken\.avsc.*Missing/)
    expect(() => readdirSync(join(work, 'never'))).toThrow()
  })

  test('usage errors exit 2', async () => {
    expect(await runCli(['codegen', 'avro', fixtures], io())).toBe(2)
    expect(await runCli(['codegen', 'protobuf', fixtures, '-o', out], io())).toBe(2)
    expect(await runCli(['codegen', 'avro', join(work, 'nope'), '-o', out], io())).toBe(2)
    expect(await runCli(['nope'], io())).toBe(2)
  })
})
