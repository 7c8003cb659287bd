// Contract: a failing handler is retried in place until it succeeds; once retries run out (or the bytes are poison) the record lands in `<topic>.dlq` with its raw bytes and diagnostic headers, and later messages of the partition are still handled.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineTopic } from '../../src/contract.js'
import { parseDeadLetterHeaders, SpringHeaders } from '../../src/runtime/headers.js'
import { json } from '../../src/serdes/json.js'
import { string } from '../../src/serdes/string.js'
import { useHarness } from './consumer-harness.js'

const h = useHarness()

const contractFor = (name: string) => defineTopic({ name, key: string(), value: json(z.object({ n: z.number() })) })

describe('consumer retry and dead-letter', () => {
  it('retries a failing handler in place and then succeeds', async () => {
    const topic = uniqueName('retry-ok')
    await h.createTopic(topic)
    const attempts: number[] = []
    const retries: number[] = []
    const consumer = h.consumer({ groupId: uniqueName('g'), fromBeginning: true })
    consumer.on('consumer.retry', (e) => retries.push(e.delayMs))
    consumer.handle(contractFor(topic), async (m) => {
      attempts.push(m.attempt)
      if (m.attempt < 3) throw new Error('flaky dependency')
    }, { retry: { attempts: 5, backoff: { initialMs: 50, maxMs: 200 } } })
    await consumer.start()
    await h.produce(topic, [{ key: 'k', value: JSON.stringify({ n: 1 }) }])
    await waitFor(() => attempts.length >= 3, { message: 'three attempts' })
    await consumer.stop()
    expect(attempts).toEqual([1, 2, 3])
    expect(retries).toHaveLength(2)
    for (const [i, d] of retries.entries()) expect(d).toBeLessThanOrEqual(Math.min(200, 50 * 2 ** i))
    // Nothing was dead-lettered: the DLQ exists (created at start) but is empty.
    const offsets = await h.admin.fetchTopicOffsets(`${topic}.dlq`)
    expect(offsets.every((o) => o.high === '0')).toBe(true)
  })

  it('dead-letters a message whose retries ran out, with original bytes and diagnostic headers', async () => {
    const topic = uniqueName('retry-dlq')
    await h.createTopic(topic)
    const groupId = uniqueName('g')
    const handled: number[] = []
    const consumer = h.consumer({ groupId, fromBeginning: true, retry: { attempts: 2, backoff: { initialMs: 10, maxMs: 20 } } })
    consumer.handle(contractFor(topic), async (m) => {
      if (m.value?.n === 1) throw new TypeError('cannot process 1')
      handled.push(m.value!.n)
    })
    await consumer.start()
    await h.produce(topic, [
      { key: 'a', value: JSON.stringify({ n: 1 }), headers: { 'trace-id': 't-1' } },
      { key: 'b', value: JSON.stringify({ n: 2 }) },
    ])
    await waitFor(() => handled.includes(2), { message: 'message after the failing one handled' })
    await consumer.stop()
    const [dead] = await h.readAll(`${topic}.dlq`, 1)
    expect(dead!.key?.toString()).toBe('a')
    expect(dead!.value?.toString()).toBe(JSON.stringify({ n: 1 }))
    expect(dead!.headers['trace-id']?.toString()).toBe('t-1')
    expect(parseDeadLetterHeaders(dead!.headers)).toMatchObject({
      originalTopic: topic, originalPartition: 0, originalOffset: '0', groupId, attempts: 3,
      errorCode: 'KAFKIT_HANDLER', errorClass: 'TypeError', errorMessage: 'cannot process 1',
    })
    expect(parseDeadLetterHeaders(dead!.headers).errorStack).toContain('cannot process 1')
  })

  it('sends poison bytes to the DLQ at once, untouched, and keeps the partition flowing', async () => {
    const topic = uniqueName('poison')
    await h.createTopic(topic)
    const handled: number[] = []
    let handlerCallsForPoison = 0
    const poisonEvents: string[] = []
    const consumer = h.consumer({ groupId: uniqueName('g'), fromBeginning: true, retry: { attempts: 5, backoff: { initialMs: 1_000, maxMs: 5_000 } } })
    consumer.on('consumer.poison', (e) => poisonEvents.push(e.errorCode))
    consumer.handle(contractFor(topic), async (m) => {
      if (m.value === null) handlerCallsForPoison++
      handled.push(m.value!.n)
    }, { deadLetter: { headers: 'spring' } })
    await consumer.start()
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x7b])
    await h.produce(topic, [
      { key: 'ok1', value: JSON.stringify({ n: 1 }) },
      { key: 'bad-json', value: garbage },
      { key: 'bad-shape', value: JSON.stringify({ n: 'not a number' }) },
      { key: 'ok2', value: JSON.stringify({ n: 2 }) },
    ])
    await waitFor(() => handled.includes(2), { message: 'message after the poison handled' })
    await consumer.stop()
    expect(handled).toEqual([1, 2])
    expect(handlerCallsForPoison).toBe(0)
    expect(poisonEvents).toEqual(['KAFKIT_SERDE_DECODE', 'KAFKIT_VALIDATION'])
    const dead = await h.readAll(`${topic}.dlq`, 2)
    const byKey = new Map(dead.map((r) => [r.key?.toString(), r]))
    expect(byKey.get('bad-json')!.value!.equals(garbage)).toBe(true)
    const info = parseDeadLetterHeaders(byKey.get('bad-json')!.headers)
    expect(info).toMatchObject({ mode: 'spring', originalTopic: topic, originalOffset: '1', errorCode: 'KAFKIT_SERDE_DECODE', attempts: 1 })
    expect(byKey.get('bad-shape')!.headers[SpringHeaders.exceptionMessage]?.toString()).toMatch(/not valid/)
  })

  it('batch handlers get poison-free batches in order; a failed batch is retried whole, then dead-lettered whole', async () => {
    const topic = uniqueName('batch')
    await h.createTopic(topic)
    const batches: number[][] = []
    let failNext = 1
    const dead: string[] = []
    const consumer = h.consumer({ groupId: uniqueName('g'), fromBeginning: true, retry: { attempts: 1, backoff: { initialMs: 10, maxMs: 10 } } })
    consumer.on('dlq.dispatched', (e) => dead.push(e.offset))
    consumer.handleBatch(contractFor(topic), async (messages) => {
      batches.push(messages.map((m) => m.value.n))
      if (messages.some((m) => m.value.n === 99)) throw new Error('batch with 99 refused')
      if (failNext-- > 0) throw new Error('first try fails')
    })
    // Written before start, so the first fetch sees them as one batch.
    await h.produce(topic, [1, 2].map((n) => ({ key: 'k', value: JSON.stringify({ n }) })).concat([{ key: 'k', value: 'not json' }, { key: 'k', value: JSON.stringify({ n: 3 }) }]))
    await consumer.start()
    await waitFor(() => batches.length >= 2, { message: 'batch retried' })
    await h.produce(topic, [{ key: 'k', value: JSON.stringify({ n: 99 }) }, { key: 'k', value: JSON.stringify({ n: 100 }) }])
    await waitFor(() => dead.length >= 3, { message: 'poison and the refused batch dead-lettered' })
    await consumer.stop()
    expect(batches.slice(0, 2)).toEqual([[1, 2, 3], [1, 2, 3]])
    // The refused batch [99, 100] was tried twice (one retry), then both records were dead-lettered.
    expect(batches.slice(2)).toEqual([[99, 100], [99, 100]])
    expect(dead).toEqual(['2', '4', '5'])
  })
})
