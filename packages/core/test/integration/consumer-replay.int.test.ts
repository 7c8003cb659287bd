// Contract: dead letters can be listed with their diagnostics and filtered by error code and time; a replay sends them back to their source topic with key, value and headers, a dry run writes nothing, and a second replay sends nothing again.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest'
import { defineTopic } from '../../src/contract.js'
import { KafkitHeaders } from '../../src/consumer/headers.js'
import { string } from '../../src/serdes/string.js'
import { type Harness, harness } from './consumer-harness.js'

const { brokers } = inject('kafka')
let h: Harness
beforeAll(async () => {
  h = await harness(brokers)
})
afterAll(async () => {
  await h?.close()
})

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
    await consumer.stop()
    expect(handled.filter((x) => x.replayOf)).toHaveLength(2)
  })
})
