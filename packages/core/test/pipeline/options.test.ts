import { hostname } from 'node:os'
import { describe, expect, test } from 'vitest'
import { defineTopic, Kafkit, string } from '../../src/index.js'
import { resolvePipelineOptions } from '../../src/pipeline/options.js'

const kafka = new Kafkit({ clientId: 'pipeline-unit', brokers: ['localhost:1'], logLevel: 'nothing' })
const Input = defineTopic({ name: 'in', key: string(), value: string() })

describe('pipeline options', () => {
  test('defaults: transactional id from group and host, 500 records per transaction, dead letters on', () => {
    const o = resolvePipelineOptions({ groupId: 'enricher' })
    expect(o).toMatchObject({ transactionalId: `enricher-${hostname()}`, maxRecordsPerTransaction: 500, transactionTimeoutMs: 60_000, compression: 'none' })
    expect(o.policy.deadLetter).not.toBe(false)
  })

  test('names each invalid option, and refuses retry topics', () => {
    const build = () => resolvePipelineOptions({ groupId: '', maxRecordsPerTransaction: 0, transactionalId: '', retryTopics: ['10s'] } as never)
    expect(build).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
    try {
      build()
    } catch (error) {
      const message = (error as Error).message
      for (const part of ['groupId', 'maxRecordsPerTransaction', 'transactionalId', 'retryTopics']) expect(message).toContain(part)
      // Said once, and each problem keeps its own path.
      expect(message.match(/invalid pipeline options/g)).toHaveLength(1)
      expect((error as { issues: { path: string[] }[] }).issues.map((i) => i.path[0])).toContain('groupId')
    }
  })

  test('from() and to() once each, before start(); start() needs both', async () => {
    const pipeline = kafka.pipeline({ groupId: 'g', transactionalId: 't' })
    await expect(pipeline.start()).rejects.toMatchObject({ code: 'KAFKIT_CONFIG' })
    expect(() => kafka.pipeline({ groupId: 'g' }).from({} as never)).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
    const configured = kafka.pipeline({ groupId: 'g' })
    configured.from(Input).to(Input, () => null)
    expect(() => configured.from(Input)).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
  })
})
