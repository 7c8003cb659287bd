import { describe, expect, it } from 'vitest'
import { KafkitError } from '../../src/errors.js'
import { describeError } from '../../src/runtime/error-info.js'
import { resolveConsumerOptions } from '../../src/consumer/options.js'
import { resolvePolicy } from '../../src/runtime/options.js'
import { type Failure, retryTopicNames, selectPolicy } from '../../src/runtime/policy.js'

const failure = (over: Partial<Failure> = {}): Failure => {
  const error = over.error ?? new Error('db down')
  return { error, info: describeError(error), poison: false, attempt: 1, tier: -1, sourceTopic: 'orders', groupId: 'billing', ...over }
}

describe('policy selection', () => {
  it('retries in place, then moves through retry topics, then dead-letters', () => {
    const policy = selectPolicy(resolvePolicy({ retry: { attempts: 2, backoff: { initialMs: 10, maxMs: 100 } }, retryTopics: ['10s', '1m'] }))
    expect(policy.name).toBe('retry → retry-topics → dead-letter')
    expect(policy.decide(failure({ attempt: 1 }))).toMatchObject({ kind: 'retry' })
    expect(policy.decide(failure({ attempt: 2 }))).toMatchObject({ kind: 'retry' })
    expect(policy.decide(failure({ attempt: 3 }))).toEqual({ kind: 'retry-topic', tier: 0, delayMs: 10_000, topic: 'orders.billing.retry.10s' })
    expect(policy.decide(failure({ attempt: 3, tier: 0 }))).toEqual({ kind: 'retry-topic', tier: 1, delayMs: 60_000, topic: 'orders.billing.retry.1m' })
    expect(policy.decide(failure({ attempt: 3, tier: 1 }))).toEqual({ kind: 'dead-letter', topic: 'orders.dlq' })
  })

  it('sends poison and non-retriable errors to the DLQ at once', () => {
    const policy = selectPolicy(resolvePolicy({ retry: { attempts: 5 }, retryTopics: ['1s'] }))
    const serde = new KafkitError('KAFKIT_SERDE_DECODE', 'bad json')
    expect(policy.decide(failure({ error: serde, info: describeError(serde), poison: true }))).toMatchObject({ kind: 'dead-letter' })
    const fatal = new KafkitError('KAFKIT_HANDLER', 'no such user', { retriable: false })
    expect(policy.decide(failure({ error: fatal, info: describeError(fatal) }))).toMatchObject({ kind: 'dead-letter' })
  })

  it('lets a user predicate decide what is retriable, but never for poison', () => {
    const policy = selectPolicy(resolvePolicy({ retry: { attempts: 1, retryIf: (e) => (e as Error).message !== 'fatal' } }))
    expect(policy.decide(failure({ error: new Error('fatal') }))).toMatchObject({ kind: 'dead-letter' })
    expect(policy.decide(failure({ error: new Error('flaky') }))).toMatchObject({ kind: 'retry' })
    expect(policy.decide(failure({ error: new Error('flaky'), poison: true }))).toMatchObject({ kind: 'dead-letter' })
  })

  it('drops when dead-lettering is off, and honours custom topic names', () => {
    expect(selectPolicy(resolvePolicy({ retry: false, deadLetter: false })).decide(failure())).toEqual({ kind: 'drop' })
    const named = resolvePolicy({ retry: false, retryTopics: { delays: [1500], topicName: (t, l, g) => `${t}-${g}-retry-${l}` }, deadLetter: { topic: (t) => `${t}.DLT`, headers: 'spring' } })
    expect(retryTopicNames('orders', named.retryTopics, 'billing')).toEqual(['orders-billing-retry-1500ms'])
    expect(selectPolicy(named).decide(failure({ tier: 0 }))).toEqual({ kind: 'dead-letter', topic: 'orders.DLT' })
  })

  it('names retry topics per consumer group by default, so groups never share them', () => {
    const policy = resolvePolicy({ retryTopics: ['10s', '1m'] })
    expect(retryTopicNames('orders', policy.retryTopics, 'notifications')).toEqual(['orders.notifications.retry.10s', 'orders.notifications.retry.1m'])
    expect(retryTopicNames('orders', policy.retryTopics, 'analytics')).toEqual(['orders.analytics.retry.10s', 'orders.analytics.retry.1m'])
  })

  it('lets a handler policy override the consumer-wide one part by part', () => {
    const base = resolvePolicy({ retry: { attempts: 7 }, deadLetter: { topic: 'all.dlq' } })
    const merged = resolvePolicy({ retryTopics: ['5s'] }, base)
    expect(merged.retry.attempts).toBe(7)
    expect(merged.retryTopics.delaysMs).toEqual([5_000])
    expect(merged.deadLetter && merged.deadLetter.topic('x')).toBe('all.dlq')
  })
})

describe('option validation', () => {
  it('names each invalid path', () => {
    expect(() => resolvePolicy({ retry: { attempts: -1 } })).toThrow('retry.attempts must be an integer ≥ 0, got -1')
    expect(() => resolvePolicy({ retry: { backoff: { initialMs: 500, maxMs: 100 } } })).toThrow(/retry\.backoff\.maxMs must be ≥/)
    expect(() => resolvePolicy({ retryTopics: ['10s', 'soon' as never] })).toThrow(/retryTopics\.delays\.1 must be a duration/)
    expect(() => resolvePolicy({ retryTopics: ['10s', 10_000] })).toThrow(/must not repeat/)
    expect(() => resolvePolicy({ deadLetter: { headers: 'jvm' as never } })).toThrow(/deadLetter\.headers must be 'kafkit' or 'spring'/)
  })

  it('reports every consumer problem at once with code KAFKIT_CONFIG', () => {
    try {
      resolveConsumerOptions({ groupId: '', partitionsConcurrently: 0, retry: { attempts: 1.5 }, heartbeatIntervalMs: 40_000 })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(KafkitError)
      const e = error as KafkitError
      expect(e.code).toBe('KAFKIT_CONFIG')
      expect(e.issues.map((i) => i.path.join('.'))).toEqual(['groupId', 'partitionsConcurrently', 'heartbeatIntervalMs', 'retry.attempts'])
    }
  })

  it('applies defaults', () => {
    const o = resolveConsumerOptions({ groupId: 'g' })
    expect(o).toMatchObject({ partitionsConcurrently: 1, sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3_000, shutdown: { signals: ['SIGTERM', 'SIGINT'], timeoutMs: 30_000 } })
    expect(o.policy.retry.attempts).toBe(3)
    expect(o.policy.deadLetter && o.policy.deadLetter.topic('t')).toBe('t.dlq')
    expect(resolveConsumerOptions({ groupId: 'g', shutdown: false }).shutdown).toBe(false)
  })
})
