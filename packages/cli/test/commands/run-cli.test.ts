import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { KafkitError } from '@kafkit/core'
import { type CliIo, type CommandGroup, commandGroups, runCli } from '../../src/index.js'

const fixtures = join(import.meta.dirname, '../fixtures/avro')

function io(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env, cwd: fixtures }
}

/** A command group that fails with `error`, as a command meeting a secured cluster would. */
function failing(error: unknown): CommandGroup[] {
  return [...commandGroups, { name: 'boom', summary: 'fails', usage: 'kafkit boom', run: () => Promise.reject(error) }]
}

/** One line on stderr, no stack frame, nothing on stdout. */
function expectOneLine(run: { stdout: string[]; stderr: string[] }): string {
  expect(run.stderr).toHaveLength(1)
  expect(run.stderr[0]).not.toContain('\n')
  expect(run.stderr[0]).not.toMatch(/\bat .*:\d+:\d+/)
  expect(run.stdout).toEqual([])
  return run.stderr[0] as string
}

describe('runCli error output and exit codes', () => {
  test('an unknown command: one line, exit 2', async () => {
    const run = io()
    expect(await runCli(['nope'], run)).toBe(2)
    expect(expectOneLine(run)).toMatch(/^kafkit: unknown command "nope"/)
  })

  test('a missing required flag or subcommand: one line naming it, exit 2', async () => {
    const noRegistry = io()
    expect(await runCli(['schema', 'check', 'user.avsc', '--subject', 'users-value'], noRegistry)).toBe(2)
    expect(expectOneLine(noRegistry)).toMatch(/^kafkit schema: give --registry <url> or set SCHEMA_REGISTRY_URL/)
    const noOut = io()
    expect(await runCli(['codegen', 'avro', 'user.avsc'], noOut)).toBe(2)
    expect(expectOneLine(noOut)).toMatch(/^kafkit codegen: give the output directory with -o <dir>/)
    const unknownFlag = io()
    expect(await runCli(['dlq', 'list', 'orders.dlq', '--nope'], unknownFlag)).toBe(2)
    expect(expectOneLine(unknownFlag)).toMatch(/--nope/)
    const noSub = io()
    expect(await runCli(['dlq'], noSub)).toBe(2)
    expect(expectOneLine(noSub)).toMatch(/missing subcommand/)
  })

  test.each([
    ['KAFKIT_AUTH', 3],
    ['KAFKIT_KAFKA', 3],
    ['KAFKIT_REGISTRY', 3],
    ['KAFKIT_CONFIG', 2],
    ['KAFKIT_SCHEMA_INCOMPATIBLE', 1],
  ] as const)('a %s thrown by a command: "kafkit: <message>" on one line, exit %i', async (code, exit) => {
    const run = io()
    const error = new KafkitError(code, 'SASL authentication failed\nfor user "ops"', { cause: new Error('engine detail') })
    expect(await runCli(['boom'], run, failing(error))).toBe(exit)
    expect(expectOneLine(run)).toBe('kafkit: SASL authentication failed for user "ops"')
  })

  test('a KafkitError from a real command: an unreachable registry exits 3, an invalid one 2, one line each', async () => {
    const down = io()
    expect(await runCli(['schema', 'check', 'user.avsc', '--subject', 's', '--registry', 'http://127.0.0.1:9'], down)).toBe(3)
    expect(expectOneLine(down)).toMatch(/^kafkit: Schema registry unreachable/)
    const invalid = io()
    expect(await runCli(['schema', 'check', 'user.avsc', '--subject', 's', '--registry', 'https://key:s3cr3t@bad host'], invalid)).toBe(2)
    expect(expectOneLine(invalid)).toMatch(/^kafkit: SchemaRegistry: url is not a valid URL/)
    expect(invalid.stderr[0]).not.toContain('s3cr3t')
  })

  test('an unexpected error: one line, exit 1', async () => {
    const run = io()
    expect(await runCli(['boom'], run, failing(new TypeError('x is undefined')))).toBe(1)
    expect(expectOneLine(run)).toBe('kafkit boom: x is undefined')
  })

  test('KAFKIT_DEBUG=1 adds the stack', async () => {
    const run = io({ KAFKIT_DEBUG: '1' })
    expect(await runCli(['boom'], run, failing(new KafkitError('KAFKIT_AUTH', 'denied')))).toBe(3)
    expect(run.stderr[0]).toBe('kafkit: denied')
    expect(run.stderr.slice(1).join('\n')).toMatch(/KafkitError: denied\n\s+at /)
  })
})
