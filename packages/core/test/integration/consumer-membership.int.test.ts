// Contract: CPU-bound synchronous handlers keep the group (the runtime yields to the event loop and heartbeats between records, so a batch longer than the session timeout costs no membership and every record is handled once); every group change reaches the service as one `consumer.rebalancing` event, an eviction included (`reason: 'member-lost'`), followed by `consumer.group-joined`; an evicted member's uncommitted work is handled again.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, it } from 'vitest'
import { defineTopic } from '../../src/contract.js'
import type { ConsumerEvents, KafkitConsumer } from '../../src/index.js'
import { string } from '../../src/serdes/string.js'
import { useHarness } from './consumer-harness.js'

const h = useHarness()

const contractFor = (name: string) => defineTopic({ name, key: string(), value: string() })
const committed = async (groupId: string, topic: string) =>
  (await h.admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)

/** Burns `ms` of CPU without giving the event loop a turn, as a synchronous handler does. */
function burn(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // spin
  }
}

function record<K extends keyof ConsumerEvents>(consumer: KafkitConsumer, name: K): ConsumerEvents[K][] {
  const seen: ConsumerEvents[K][] = []
  consumer.on(name, (e) => seen.push(e))
  return seen
}

describe('group membership', () => {
  it('keeps two members with 60 ms synchronous handlers and 12 s batches in a group with a 10 s session timeout', async () => {
    const topic = uniqueName('cpu-bound')
    const perPartition = 200
    await h.createTopic(topic, 2)
    const groupId = uniqueName('g')
    const handled = new Map<string, number>()
    const members = [0, 1].map(() => h.consumer({ groupId, fromBeginning: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 }))
    const rebalancing = members.map((m) => record(m, 'consumer.rebalancing'))
    const joined = members.map((m) => record(m, 'consumer.group-joined'))
    for (const member of members) {
      member.handle(contractFor(topic), ({ partition, offset }) => {
        burn(60)
        const id = `${partition}@${offset}`
        handled.set(id, (handled.get(id) ?? 0) + 1)
      })
    }
    await members[0]!.start()
    await waitFor(() => joined[0]!.length > 0, { message: 'first member joined' })
    await members[1]!.start()
    // Both members hold one partition each before anything is written: from here on the group must not change.
    await waitFor(
      () => joined.every((j) => j.length > 0 && Object.values(j[j.length - 1]!.assignment).flat().length === 1),
      { message: 'both members hold a partition', timeoutMs: 60_000 },
    )
    // The second join was a rebalance for the first member, reported as such.
    expect(rebalancing[0]!.length).toBeGreaterThanOrEqual(1)
    expect(rebalancing[0]!.every((e) => e.reason === 'rebalance')).toBe(true)
    const changesBefore = rebalancing.map((r) => r.length)

    await h.produce(topic, [0, 1].flatMap((partition) => Array.from({ length: perPartition }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition }))))
    await waitFor(async () => (await committed(groupId, topic)).every((o) => o === String(perPartition)), { message: 'all offsets committed', timeoutMs: 100_000, intervalMs: 1_000 })

    // Every record handled exactly once: nobody was evicted, nothing was redelivered.
    expect(handled.size).toBe(2 * perPartition)
    expect([...handled.values()].every((n) => n === 1)).toBe(true)
    expect(rebalancing.map((r) => r.length)).toEqual(changesBefore)
  }, 180_000)

  it('reports an eviction as member-lost, joins again and handles the uncommitted records again', async () => {
    const topic = uniqueName('evicted')
    await h.createTopic(topic)
    const groupId = uniqueName('g')
    // 6 s is the broker's smallest session timeout (group.min.session.timeout.ms).
    const consumer = h.consumer({ groupId, fromBeginning: true, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 })
    const rebalancing = record(consumer, 'consumer.rebalancing')
    const joined = record(consumer, 'consumer.group-joined')
    const handled: string[] = []
    let blocked = false
    consumer.handle(contractFor(topic), ({ value }) => {
      // One handler call that never yields for longer than the session timeout: the broker evicts the member.
      if (value === 'stuck' && !blocked) {
        blocked = true
        burn(9_000)
      }
      handled.push(value)
    })
    await consumer.start()
    await waitFor(() => joined.length > 0, { message: 'joined' })
    await h.produce(topic, [{ key: 'a', value: 'stuck' }, { key: 'b', value: 'after-1' }, { key: 'c', value: 'after-2' }])
    await waitFor(async () => (await committed(groupId, topic))[0] === '3', { message: 'offsets committed after the rejoin', timeoutMs: 90_000, intervalMs: 1_000 })

    expect(rebalancing.map((e) => e.reason)).toContain('member-lost')
    expect(joined.length).toBeGreaterThanOrEqual(2)
    expect(joined[joined.length - 1]!.memberId).not.toBe(joined[0]!.memberId)
    // The join after the eviction ended the rebalance: the consumer is ready again.
    const health = h.kafkit.health().consumers.find((c) => c.groupId === groupId)
    expect(health?.state).toBe('running')
    // At least once: the record whose work could not be committed is handled again, and nothing is missing.
    expect(new Set(handled)).toEqual(new Set(['stuck', 'after-1', 'after-2']))
    expect(handled.filter((v) => v === 'stuck').length).toBeGreaterThanOrEqual(2)
  }, 150_000)
})
