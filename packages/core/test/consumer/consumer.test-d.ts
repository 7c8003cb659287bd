import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, Kafkit, optional, string } from '../../src/index.js'

const Activity = defineTopic({
  name: 'user-activity',
  key: string(),
  value: json(z.object({ userId: z.string(), action: z.enum(['login', 'purchase']), at: z.coerce.date() })),
  headers: { 'trace-id': optional(string()) },
})
const consumer = new Kafkit({ clientId: 't', brokers: ['localhost:9092'] }).consumer({ groupId: 'g' })

describe('consumer handler types', () => {
  it('types messages by their contract', () => {
    consumer.handle(Activity, async (m) => {
      expectTypeOf(m.key).toEqualTypeOf<string>()
      expectTypeOf(m.value.action).toEqualTypeOf<'login' | 'purchase'>()
      expectTypeOf(m.value.at).toEqualTypeOf<Date>()
      expectTypeOf(m.headers['trace-id']).toEqualTypeOf<string | undefined>()
      expectTypeOf(m.signal).toEqualTypeOf<AbortSignal>()
      expectTypeOf(m.attempt).toEqualTypeOf<number>()
      // @ts-expect-error not a field of the contract
      m.value.amount
    })
    consumer.handleBatch(Activity, async (messages, { signal }) => {
      expectTypeOf(messages[0]!.value.userId).toEqualTypeOf<string>()
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>()
    })
  })

  it('checks policy options and event payloads', () => {
    consumer.handle(Activity, () => {}, { retry: { attempts: 3, backoff: { initialMs: 100, maxMs: 1_000, jitter: 'full' } }, retryTopics: ['10s', '1m'], deadLetter: { headers: 'spring' } })
    // @ts-expect-error a duration needs a unit
    consumer.handle(Activity, () => {}, { retryTopics: ['10 seconds'] })
    // @ts-expect-error unknown header mode
    consumer.handle(Activity, () => {}, { deadLetter: { headers: 'jvm' } })
    consumer.on('dlq.dispatched', (e) => expectTypeOf(e.dlqTopic).toEqualTypeOf<string>())
    // @ts-expect-error unknown event
    consumer.on('consumer.exploded', () => {})
  })
})
