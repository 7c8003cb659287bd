import { execFile, execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, test } from 'vitest'
import { runCli, type CliIo } from '../../src/index.js'

const root = join(import.meta.dirname, '../../../..')
// Asynchronous: tsc takes tens of seconds on a busy machine, and a blocked worker cannot answer vitest meanwhile.
const tsc = promisify(execFile)
const fixtures = join(import.meta.dirname, '../fixtures/protobuf')
// Inside the repo (and git-ignored) so the generated code resolves @kafkit/protobuf like a user's would.
const work = join(root, '.kafkit', `codegen-protobuf-test-${process.pid}-${Date.now()}`)
afterAll(() => rmSync(work, { recursive: true, force: true }))

function io(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = []
  const errors: string[] = []
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), env: {}, cwd: root }
}

describe('kafkit codegen protobuf', () => {
  const out = join(work, 'generated')

  test('one module per .proto, imports resolved from the include directory', async () => {
    const run = io()
    expect(await runCli(['codegen', 'protobuf', fixtures, '-o', out], run)).toBe(0)
    expect(readdirSync(out).sort()).toEqual(['money.ts', 'order.ts'])
    const order = readFileSync(join(out, 'order.ts'), 'utf8')
    expect(order).toContain('export const moneyProto = protoFile("shop/money.proto"')
    expect(order).toContain('export const orderProto = protoFile("shop/order.proto"')
    expect(order).toContain('export interface Order {')
    expect(order).toContain('  total?: Money')
    expect(order).toContain('  lines: Order_Line[]')
    expect(order).toContain('export type Status = "STATUS_UNSPECIFIED" | "PLACED" | "SHIPPED"')
    expect(order).toContain('export const Order = protoMessage<Order, OrderInput>(orderProto, "shop.Order")')
  })

  test('the output compiles and types protobuf(Order): a wrong field is a compile error', async () => {
    writeFileSync(
      join(work, 'check.ts'),
      `import { protobuf } from '@kafkit/protobuf'
import { Order } from './generated/order.js'
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const serde = protobuf(Order)
const ctx = { topic: 't', field: 'value' } as const
export const decoded = serde.decode(serde.encode({ id: 'o1', total: { currency: 'EUR', units: 5n }, status: 'PLACED' }, ctx), ctx)
export const units: Equals<NonNullable<typeof decoded.total>['units'], string> = true
// @ts-expect-error quantity is a number
serde.encode({ lines: [{ quantity: 'two' }] }, ctx)
`,
    )
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['check.ts', 'generated'] }))
    let output = ''
    try {
      await tsc(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: work, encoding: 'utf8' })
    } catch (error) {
      output = (error as { stdout?: string }).stdout ?? String(error)
    }
    expect(output.split('\n').filter((line) => /^(check\.ts|generated\/)/.test(line)), output).toEqual([])
    expect(output).not.toMatch(/error TS(5|6)\d{3}/)
  }, 180_000)

  test('a file with an unresolvable type exits 2 naming it; an unknown format lists both', async () => {
    const broken = join(work, 'broken')
    execFileSync('mkdir', ['-p', broken])
    writeFileSync(join(broken, 'bad.proto'), 'syntax = "proto3";\nmessage A { Missing m = 1; }\n')
    const run = io()
    expect(await runCli(['codegen', 'protobuf', join(broken, 'bad.proto'), '-o', join(work, 'nope')], run)).toBe(2)
    expect(run.errors[0]).toMatch(/bad\.proto.*Missing/)
    const unknown = io()
    expect(await runCli(['codegen', 'thrift', 'x', '-o', out], unknown)).toBe(2)
    expect(unknown.errors.join('\n')).toContain('supported: avro, protobuf')
  })
})
