// Contract: dead letters can be listed with their diagnostics and filtered by error code and time; a replay sends them back to their source topic with key, value and headers, a dry run writes nothing, and a second replay sends nothing again.
import { runCli } from '@kafkit/cli'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, it, inject } from 'vitest'
import { defineTopic } from '../../src/contract.js'
import { KafkitHeaders } from '../../src/runtime/headers.js'
import { string } from '../../src/serdes/string.js'
import { useHarness } from './consumer-harness.js'

const { brokers } = inject('kafka')
const h = useHarness()

describe('dead-letter replay', () => {
  it('round-trips dead letters to the source topic once, honouring filters and dry runs', async () => {
    const topic = uniqueName('replay')
    await h.createTopic(topic, 2)
    const contract = defineTopic({ name: topic, key: string(), value: string() })
    let healthy = false
    const handled: { key: string; value: string; replayOf?: string; trace?: string }[] = []
    const consumer = h.consumer({ groupId: uniqueName('g'), fromBeginning: true, retry: false })
    consumer.handle(contract, async (m) => {
      if (!healthy && m.value.startsWith('needs-fix')) throw new Error('downstream unavailable')
      handled.push({ key: m.key, value: m.value, replayOf: m.rawHeaders[KafkitHeaders.replayOf]?.toString(), trace: m.rawHeaders['trace']?.toString() })
    })
    await consumer.start()
    // Another group on the same topic (think: analytics) handles everything once and must not see the replays.
    const otherSeen: string[] = []
    let otherSkipped = 0
    const other = h.consumer({ groupId: uniqueName('other'), fromBeginning: true, deadLetter: { topic: (t) => `${t}.other.dlq` } })
    other.on('consumer.skipped', () => otherSkipped++)
    other.handle(contract, async (m) => void otherSeen.push(m.value))
    await other.start()
    await h.produce(topic, [
      { key: 'a', value: 'needs-fix-1', headers: { trace: 't-a' } },
      { key: 'b', value: 'fine' },
      { key: 'c', value: 'needs-fix-2', headers: { trace: 't-c' } },
    ])
    // A poison record (key required by the contract, none given) lands in the same DLQ with another code.
    await h.producer.send({ topic, messages: [{ value: 'no key' }] })
    await waitFor(() => handled.some((x) => x.value === 'fine'))

    const dlq = h.kafkit.deadLetters(`${topic}.dlq`)
    const all = await waitFor(async () => {
      const entries = await dlq.list()
      return entries.length === 3 ? entries : undefined
    }, { message: 'three dead letters' })
    expect(all.map((e) => e.info.errorCode).sort()).toEqual(['KAFKIT_HANDLER', 'KAFKIT_HANDLER', 'KAFKIT_VALIDATION'])
    expect(all.every((e) => e.info.originalTopic === topic && !e.replayed)).toBe(true)
    expect(await dlq.list({ since: Date.now() + 60_000 })).toEqual([])

    const dry = await dlq.replay({ errorCodes: ['KAFKIT_HANDLER'], dryRun: true })
    expect(dry.replayed).toHaveLength(2)
    expect(dry.skipped.filtered).toBe(1)
    expect((await dlq.list()).some((e) => e.replayed)).toBe(false)

    healthy = true
    const first = await dlq.replay({ errorCodes: ['KAFKIT_HANDLER'], ratePerSecond: 20 })
    expect(first.replayed.map((r) => r.target)).toEqual([topic, topic])
    await waitFor(() => handled.filter((x) => x.replayOf).length === 2, { message: 'replayed records handled' })
    const replayed = handled.filter((x) => x.replayOf).sort((x, y) => x.key.localeCompare(y.key))
    expect(replayed.map(({ key, value, trace }) => ({ key, value, trace }))).toEqual([
      { key: 'a', value: 'needs-fix-1', trace: 't-a' },
      { key: 'c', value: 'needs-fix-2', trace: 't-c' },
    ])
    expect(replayed[0]!.replayOf).toMatch(new RegExp(`^${topic}\\.dlq/\\d/\\d+$`))

    const second = await dlq.replay({ errorCodes: ['KAFKIT_HANDLER'] })
    expect(second.replayed).toEqual([])
    expect(second.skipped.alreadyReplayed).toBe(2)
    // The filtered-out poison record stays replayable.
    expect((await dlq.list({ errorCodes: ['KAFKIT_VALIDATION'] }))[0]!.replayed).toBe(false)
    await waitFor(() => otherSkipped === 2, { message: 'the other group passed over both replays' })
    await Promise.all([consumer.stop(), other.stop()])
    expect(handled.filter((x) => x.replayOf)).toHaveLength(2)
    expect(otherSeen.sort()).toEqual(['fine', 'needs-fix-1', 'needs-fix-2'])
    expect((await h.kafkit.deadLetters(`${topic}.other.dlq`).list()).map((e) => e.info.errorCode)).toEqual(['KAFKIT_VALIDATION'])
  })

  it('does the same through `kafkit dlq list|inspect|replay`', async () => {
    const topic = uniqueName('cli-replay')
    await h.createTopic(topic)
    const contract = defineTopic({ name: topic, key: string(), value: string() })
    const consumer = h.consumer({ groupId: uniqueName('g'), fromBeginning: true, retry: false })
    const dead = new Promise<void>((r) => consumer.on('dlq.dispatched', () => r()))
    consumer.handle(contract, async () => {
      throw new Error('nope')
    })
    await consumer.start()
    await h.produce(topic, [{ key: 'x', value: 'payload' }])
    await dead
    await consumer.stop()
    const cli = async (...args: string[]) => {
      const out: string[] = []
      const err: string[] = []
      const code = await runCli(['dlq', ...args, '--brokers', brokers.join(',')], { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd: process.cwd() })
      return { code, out, err }
    }
    const list = await cli('list', `${topic}.dlq`, '--json')
    expect(list.code).toBe(0)
    expect(list.out.map((l) => JSON.parse(l))).toMatchObject([{ partition: 0, offset: '0', key: 'x', value: 'payload', errorCode: 'KAFKIT_HANDLER', errorMessage: 'nope', originalTopic: topic, replayed: false }])
    const inspect = await cli('inspect', `${topic}.dlq`, '0:0')
    expect(inspect.out.join('\n')).toContain('errorStack:')
    expect((await cli('replay', `${topic}.dlq`, '--dry-run')).out).toEqual([`would replay 0:0 -> ${topic}`])
    expect((await cli('replay', `${topic}.dlq`)).out).toEqual([`replayed 0:0 -> ${topic}`])
    const again = await cli('replay', `${topic}.dlq`)
    expect(again.out).toEqual([])
    expect(again.err.join('')).toContain('skipped 1 already replayed')
    expect((await cli('list', `${topic}.dlq`, '--error-code', 'KAFKIT_SERDE_DECODE')).out).toEqual([])
    expect((await cli('list', `${topic}.dlq`, '--since', 'yesterday')).code).toBe(2)
    // The record, its one replay and that replay's commit marker.
    expect((await h.admin.fetchTopicOffsets(topic)).map((o) => o.high)).toEqual(['3'])
  })
})
