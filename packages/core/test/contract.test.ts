import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, optional, string } from '../src/index.js'

describe('defineTopic', () => {
  test('returns a frozen contract with provisioning settings', () => {
    const contract = defineTopic({ name: 'orders.v1', key: string(), value: json(z.object({ id: z.string() })), partitions: 6, config: { 'retention.ms': '1000' } })
    expect(contract).toMatchObject({ name: 'orders.v1', partitions: 6, replicationFactor: undefined, config: { 'retention.ms': '1000' } })
    expect(Object.isFrozen(contract)).toBe(true)
    expect(Object.isFrozen(contract.config)).toBe(true)
    expect(contract.headers).toEqual({})
  })

  test('names every invalid path in one KAFKIT_CONFIG error', () => {
    const define = () =>
      defineTopic({
        name: 'bad name!',
        key: 'string' as never,
        value: string(),
        headers: { trace: optional({} as never) },
        partitions: 0,
        replicationFactor: 1.5,
        config: { 'retention.ms': 1000 as never },
      })
    expect(define).toThrow(
      expect.objectContaining({
        code: 'KAFKIT_CONFIG',
        issues: [
          expect.objectContaining({ path: ['name'] }),
          expect.objectContaining({ path: ['key'] }),
          expect.objectContaining({ path: ['headers', 'trace'] }),
          expect.objectContaining({ path: ['partitions'] }),
          expect.objectContaining({ path: ['replicationFactor'] }),
          expect.objectContaining({ path: ['config', 'retention.ms'] }),
        ],
      }),
    )
  })

  test.each(['.', '..', 'x'.repeat(250), ''])('rejects the topic name %j', (name) => {
    expect(() => defineTopic({ name, value: string() })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
  })
})
