// Contract: a rebalance aborts in-flight handlers through their signal and their message is handled again by the new owner; retry topics delay a failing message by their tier's delay (handled no earlier than its due time) without stalling the main partition; a handler running longer than the session timeout keeps its membership; stop() lets in-flight handlers finish, commits them, and aborts what outlives the timeout without committing it.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, it } from 'vitest'
import { defineTopic } from '../../src/contract.js'
import { KafkitHeaders, parseDeadLetterHeaders } from '../../src/runtime/headers.js'
import { sleep } from '../../src/runtime/heartbeat.js'
import { string } from '../../src/serdes/string.js'
import { useHarness } from './consumer-harness.js'

const h = useHarness()

const contractFor = (name: string) => defineTopic({ name, key: string(), value: string() })
const committed = async (groupId: string, topic: string) => (await h.admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => p.offset)

describe('retry topics', () => {
  it('honours each tier delay and never stalls the main partition', async () => {
    const topic = uniqueName('tiers')
    await h.createTopic(topic)
    const log: { value: string; from: string; at: number; dueAt?: number }[] = []
    const groupId = uniqueName('g')
    const consumer = h.consumer({ groupId, fromBeginning: true })
    consumer.handle(contractFor(topic), async (m) => {
      const due = m.rawHeaders[KafkitHeaders.retryDueAt]?.toString()
      log.push({ value: m.value!, from: m.receivedFrom, at: Date.now(), ...(due ? { dueAt: Number(due) } : {}) })
      if (m.value === 'always-fails') throw new Error('still broken')
      if (m.value === 'fails-once' && m.attempt === 1) throw new Error('transient')
    }, { retry: false, retryTopics: ['2s', '4s'] })
    await consumer.start()
    await h.produce(topic, [{ key: 'a', value: 'always-fails' }, { key: 'b', value: 'fails-once' }, { key: 'c', value: 'ok-1' }])
    await waitFor(() => log.some((l) => l.value === 'always-fails' && l.from.endsWith('.retry.4s')), { message: 'last tier reached', timeoutMs: 60_000 })
    await h.produce(topic, [{ key: 'd', value: 'ok-2' }])
    const [dead] = await h.readAll(`${topic}.dlq`, 1)
    await waitFor(() => log.some((l) => l.value === 'ok-2'))
    await consumer.stop()

    const retried = log.filter((l) => l.from !== topic)
    expect(retried.map((l) => `${l.value}@${l.from}`)).toEqual([`always-fails@${topic}.${groupId}.retry.2s`, `fails-once@${topic}.${groupId}.retry.2s`, `always-fails@${topic}.${groupId}.retry.4s`])
    // Never early. How late is up to the machine (about maxWaitTimeMs: a resumed partition
    // joins the next fetch); the order below is what the contract promises.
    for (const r of retried) expect(r.at).toBeGreaterThanOrEqual(r.dueAt!)
    // The main topic kept flowing: 'ok-1' was handled before any retry, while the failures waited.
    const ok1 = log.find((l) => l.value === 'ok-1')!
    expect(log.indexOf(ok1)).toBeLessThan(log.indexOf(retried[0]!))
    // Each due time is the failure time plus the tier delay (2s, then 4s).
    const firstFailure = log.find((l) => l.value === 'always-fails' && l.from === topic)!
    expect(retried[0]!.dueAt! - firstFailure.at).toBeGreaterThanOrEqual(2_000)
    expect(retried[2]!.dueAt! - retried[0]!.at).toBeGreaterThanOrEqual(4_000)
    expect(parseDeadLetterHeaders(dead!.headers)).toMatchObject({ originalTopic: topic, originalOffset: '0', attempts: 3, errorMessage: 'still broken' })
  })

  it('keeps each group\'s failures in its own retry topics: another group never handles them again', async () => {
    const topic = uniqueName('shared')
    await h.createTopic(topic)
    const seen = { notifications: [] as string[], analytics: [] as string[] }
    const start = async (name: keyof typeof seen, fail: boolean) => {
      const groupId = uniqueName(name)
      const consumer = h.consumer({ groupId, fromBeginning: true })
      consumer.handle(contractFor(topic), async (m) => {
        seen[name].push(`${m.value}@${m.receivedFrom === topic ? 'source' : m.receivedFrom.slice(topic.length + 1)}`)
        if (fail && m.attempt === 1) throw new Error('mail gateway down')
      }, { retry: false, retryTopics: ['1s'] })
      await consumer.start()
      return { consumer, groupId }
    }
    const notifications = await start('notifications', true)
    const analytics = await start('analytics', false)
    await h.produce(topic, [{ key: 'k', value: 'signed-up' }])
    await waitFor(() => seen.notifications.length === 2 && seen.analytics.length === 1, { message: 'both groups handled the message', timeoutMs: 60_000 })
    await Promise.all([notifications.consumer.stop(), analytics.consumer.stop()])
    expect(seen.notifications).toEqual(['signed-up@source', `signed-up@${notifications.groupId}.retry.1s`])
    expect(seen.analytics).toEqual(['signed-up@source'])
    // The failure went to the failing group's retry topic only; analytics' own stays empty.
    const high = async (t: string) => (await h.admin.fetchTopicOffsets(t)).map((o) => o.high)
    expect(await high(`${topic}.${notifications.groupId}.retry.1s`)).toEqual(['1'])
    expect(await high(`${topic}.${analytics.groupId}.retry.1s`)).toEqual(['0'])
  })
})

describe('long handlers and shutdown', () => {
  it('keeps group membership while a handler runs longer than the session timeout', async () => {
    const topic = uniqueName('slow')
    await h.createTopic(topic)
    const groupId = uniqueName('g')
    let calls = 0
    let rebalances = 0
    let crashes = 0
    const consumer = h.consumer({ groupId, fromBeginning: true, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 })
    consumer.on('consumer.rebalancing', () => rebalances++)
    consumer.on('consumer.crash', () => crashes++)
    let aborted = false
    consumer.handle(contractFor(topic), async (m) => {
      calls++
      m.signal.addEventListener('abort', () => (aborted = true))
      await sleep(15_000)
    })
    await consumer.start()
    await h.produce(topic, [{ key: 'k', value: 'slow' }])
    await waitFor(async () => (await committed(groupId, topic))[0] === '1', { timeoutMs: 60_000, message: 'offset committed after the slow handler' })
    await consumer.stop()
    expect({ calls, rebalances, crashes, aborted }).toEqual({ calls: 1, rebalances: 0, crashes: 0, aborted: false })
  })

  it('lets in-flight handlers finish on stop(), commits them, and does not take new messages', async () => {
    const topic = uniqueName('stop')
    await h.createTopic(topic)
    const groupId = uniqueName('g')
    const done: string[] = []
    let started!: () => void
    const firstStarted = new Promise<void>((r) => (started = r))
    const consumer = h.consumer({ groupId, fromBeginning: true, shutdown: { signals: [], timeoutMs: 20_000 } })
    consumer.handle(contractFor(topic), async (m) => {
      started()
      await sleep(2_000)
      done.push(m.value!)
    })
    await h.produce(topic, [{ key: 'k', value: 'm1' }, { key: 'k', value: 'm2' }, { key: 'k', value: 'm3' }])
    await consumer.start()
    await firstStarted
    await consumer.stop()
    expect(done).toEqual(['m1'])
    expect(await committed(groupId, topic)).toEqual(['1'])
  })

  it('aborts a handler that outlives the shutdown timeout and leaves its message uncommitted', async () => {
    const topic = uniqueName('abort')
    await h.createTopic(topic)
    const groupId = uniqueName('g')
    let started!: () => void
    const firstStarted = new Promise<void>((r) => (started = r))
    let reason: unknown
    const consumer = h.consumer({ groupId, fromBeginning: true, shutdown: { signals: [], timeoutMs: 500 } })
    const stopped = new Promise<number>((r) => consumer.on('consumer.stopped', (e) => r(e.aborted)))
    consumer.handle(contractFor(topic), async ({ signal }) => {
      started()
      await sleep(60_000, signal).catch((e) => {
        reason = e
        throw e
      })
    })
    await h.produce(topic, [{ key: 'k', value: 'stuck' }])
    await consumer.start()
    await firstStarted
    await consumer.stop()
    expect(await stopped).toBe(1)
    expect((reason as { code?: string }).code).toBe('KAFKIT_ABORTED')
    expect(await committed(groupId, topic)).toEqual(['-1'])
    // Nothing went to the DLQ on shutdown.
    expect((await h.admin.fetchTopicOffsets(`${topic}.dlq`)).map((o) => o.high)).toEqual(['0'])
  })

  it('aborts in-flight handlers when a rebalance revokes their partition; the message is handled again', async () => {
    const topic = uniqueName('revoke')
    await h.createTopic(topic)
    const groupId = uniqueName('g')
    let started!: () => void
    const firstStarted = new Promise<void>((r) => (started = r))
    const reasons: unknown[] = []
    const completed: string[] = []
    let calls = 0
    const handler = async ({ value, signal }: { value: string; signal: AbortSignal }) => {
      if (++calls === 1) {
        started()
        await sleep(60_000, signal).catch((e) => {
          reasons.push(e)
          throw e
        })
      }
      completed.push(value)
    }
    const a = h.consumer({ groupId, fromBeginning: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 300 })
    let rebalances = 0
    a.on('consumer.rebalancing', () => rebalances++)
    a.handle(contractFor(topic), handler)
    await h.produce(topic, [{ key: 'k', value: 'contested' }])
    await a.start()
    await firstStarted
    const b = h.consumer({ groupId, fromBeginning: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 300 })
    b.handle(contractFor(topic), handler)
    await b.start()
    await waitFor(() => completed.length === 1, { timeoutMs: 60_000, message: 'message handled by the new owner' })
    await Promise.all([a.stop(), b.stop()])
    expect(reasons).toHaveLength(1)
    expect(reasons[0]).toMatchObject({ code: 'KAFKIT_ABORTED', message: expect.stringContaining('revoked') })
    expect(rebalances).toBeGreaterThanOrEqual(1)
    expect(completed).toEqual(['contested'])
    expect(await committed(groupId, topic)).toEqual(['1'])
  })
})
