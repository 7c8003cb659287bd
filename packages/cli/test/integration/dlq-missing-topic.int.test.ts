// Contract: `kafkit dlq list|inspect|replay` of a dead-letter topic the cluster does not have (a misspelt name) exits 2 with "topic '<name>' does not exist on the cluster" and the close names it does have on stderr, never an empty listing; an existing dead-letter topic without records still lists empty, exit 0.
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { defineTopic, Kafkit, string } from '@kafkit/core'
import { uniqueName } from '@kafkit/testkit'
import { runCli, type CliIo } from '../../src/index.js'

const { brokers } = inject('kafka')

function io(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {}, cwd: process.cwd() }
}

function dlq(...args: string[]) {
  const run = io()
  return runCli(['dlq', ...args, '--brokers', brokers.join(',')], run).then((code) => ({ code, ...run }))
}

describe('kafkit dlq of a topic that does not exist', () => {
  const topic = `${uniqueName('cli-orders')}.dlq`
  const misspelt = `${topic}q`
  let kafka: Kafkit

  beforeAll(async () => {
    kafka = new Kafkit({ clientId: 'cli-dlq-missing-test', brokers, logLevel: 'nothing' })
    await kafka.admin().ensureTopics([defineTopic({ name: topic, value: string(), partitions: 1, replicationFactor: 1 })])
  })
  afterAll(() => kafka.close())

  test('list of a misspelt name exits 2, says the topic does not exist and suggests the close one', async () => {
    const run = await dlq('list', misspelt)
    expect(run.code).toBe(2)
    expect(run.stdout).toEqual([])
    expect(run.stderr.join('\n')).toContain(`topic '${misspelt}' does not exist on the cluster`)
    expect(run.stderr.join('\n')).toContain(`did you mean '${topic}'`)
  })

  test('inspect and replay (also --json, --dry-run) of a misspelt name fail the same way, before anything is read or written', async () => {
    for (const args of [
      ['inspect', misspelt, '0:0'],
      ['inspect', misspelt, '0:0', '--json'],
      ['replay', misspelt, '--no-progress'],
      ['replay', misspelt, '--json', '--dry-run', '--no-progress'],
      ['list', misspelt, '--json'],
    ]) {
      const run = await dlq(...args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stdout, args.join(' ')).toEqual([])
      expect(run.stderr.join('\n')).toContain(`topic '${misspelt}' does not exist on the cluster`)
      expect(run.stderr.join('\n')).toContain(`did you mean '${topic}'`)
    }
  })

  test('a name with nothing close on the cluster says so without a suggestion', async () => {
    const absent = `${uniqueName('cli-absent')}.dlq`
    const run = await dlq('list', absent)
    expect(run.code).toBe(2)
    expect(run.stderr.join('\n')).toContain(`topic '${absent}' does not exist on the cluster`)
    expect(run.stderr.join('\n')).not.toContain('did you mean')
  })

  test('list of an existing dead-letter topic without records is an empty list, exit 0', async () => {
    const run = await dlq('list', topic)
    expect(run.code).toBe(0)
    expect(run.stdout).toEqual([])
    expect(run.stderr).toEqual(['0 dead letter(s)'])
    const json = await dlq('list', topic, '--json')
    expect(json.code).toBe(0)
    expect(json.stdout).toEqual([])
  })
})
