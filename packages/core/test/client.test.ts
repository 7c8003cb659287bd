import { describe, expect, test } from 'vitest'
import { Kafkit } from '../src/index.js'

describe('new Kafkit', () => {
  test('accepts brokers as a comma-separated string', () => {
    expect(() => new Kafkit({ clientId: 'svc', brokers: 'a:9092, b:9093' })).not.toThrow()
  })

  test('names each invalid path in one KAFKIT_CONFIG error', () => {
    const build = () => new Kafkit({ clientId: '', brokers: ['no-port'], requestTimeoutMs: -1, retry: { retries: -2 }, typo: true } as never)
    expect(build).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
    try {
      build()
    } catch (error) {
      const paths = (error as { issues: { path: unknown[] }[] }).issues.map((issue) => issue.path.join('.'))
      expect(paths).toEqual(expect.arrayContaining(['clientId', 'brokers.0', 'requestTimeoutMs', 'retry.retries', '']))
      expect((error as Error).message).toContain('brokers[0]: must be host:port')
    }
  })

  test('needs at least one broker', () => {
    expect(() => new Kafkit({ clientId: 'svc', brokers: ' , ' })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
  })
})

describe('kafka.producer options', () => {
  const kafka = new Kafkit({ clientId: 'svc', brokers: ['localhost:9092'] })

  test('an idempotent producer needs acks all', () => {
    expect(() => kafka.producer({ acks: 1 })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG', issues: [expect.objectContaining({ path: ['acks'] })] }))
    expect(() => kafka.producer({ idempotent: false, acks: 1 })).not.toThrow()
  })

  test('rejects unknown codecs and more than 5 in-flight requests when idempotent', () => {
    expect(() => kafka.producer({ compression: 'brotli' as never })).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: ['compression'] })] }))
    expect(() => kafka.producer({ maxInFlightRequests: 6 })).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: ['maxInFlightRequests'] })] }))
  })

  test('a duration a Node timer cannot hold (over 2^31 - 1 ms) is refused, naming the option', () => {
    expect(() => kafka.producer({ deliveryTimeoutMs: 2 ** 31 })).toThrow(
      expect.objectContaining({ code: 'KAFKIT_CONFIG', issues: [expect.objectContaining({ path: ['deliveryTimeoutMs'], message: expect.stringContaining('2147483647') })] }),
    )
    expect(() => kafka.producer({ deliveryTimeoutMs: 2 ** 31 - 1 })).not.toThrow()
  })

  test('close() is safe without any connection', async () => {
    kafka.admin()
    await expect(kafka.close()).resolves.toBeUndefined()
  })
})

describe('kafka.health', () => {
  test('a client is ready until it closes, then reports that it is closing', async () => {
    const kafka = new Kafkit({ clientId: 'health-test', brokers: ['127.0.0.1:1'], logLevel: 'nothing' })
    expect(kafka.health()).toMatchObject({ live: true, ready: true, consumers: [] })
    await kafka.close()
    expect(kafka.health()).toMatchObject({ live: true, ready: false, problems: ['the client is closing'] })
  })
})
