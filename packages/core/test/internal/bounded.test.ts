import { describe, expect, test } from 'vitest'
import { isKafkitError } from '../../src/errors.js'
import { bounded } from '../../src/internal/bounded.js'

describe('bounded', () => {
  test('passes on what settles within the bound', async () => {
    await expect(bounded(Promise.resolve(7), 1_000, 'look up t')).resolves.toBe(7)
    await expect(bounded(Promise.reject(new Error('refused')), 1_000, 'look up t')).rejects.toThrow('refused')
  })

  test('fails what never settles with a retriable KAFKIT_KAFKA naming the operation and the bound', async () => {
    const error = await bounded(new Promise(() => {}), 20, 'look up orders.dlq', { topic: 'orders.dlq' }).catch((e: unknown) => e)
    expect(isKafkitError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'KAFKIT_KAFKA', retriable: true, context: { topic: 'orders.dlq', timeoutMs: 20, reason: 'timeout' } })
    expect((error as Error).message).toContain('look up orders.dlq: the cluster did not answer for 20 ms')
  })

  test('a failure of the work after the bound is not an unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const late = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 40))
      await expect(bounded(late, 10, 'list topics')).rejects.toMatchObject({ code: 'KAFKIT_KAFKA' })
      await new Promise((resolve) => setTimeout(resolve, 80))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
