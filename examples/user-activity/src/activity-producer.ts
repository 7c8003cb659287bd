import type { Kafkit } from '@kafkit/core'
import type { UserActivityTopic } from '#contracts'

/** What the producer emits: a fixed, readable script of user sessions. */
export const script: { userId: string; action: 'login' | 'click' | 'purchase'; page?: string; amountCents?: number }[] = [
  { userId: 'alice', action: 'login' },
  { userId: 'bob', action: 'login' },
  { userId: 'alice', action: 'click', page: '/shoes' },
  { userId: 'carol', action: 'login' },
  { userId: 'alice', action: 'purchase', amountCents: 8_999 },
  { userId: 'bob', action: 'click', page: '/hats' },
  { userId: 'carol', action: 'click', page: '/books' },
  { userId: 'bob', action: 'purchase', amountCents: 2_450 },
  { userId: 'carol', action: 'purchase', amountCents: 1_299 },
  { userId: 'alice', action: 'click', page: '/socks' },
  { userId: 'bob', action: 'click', page: '/cart' },
]

/**
 * The activity service: publishes user events with the typed, idempotent producer. A
 * wrong field or action would not compile; bad data at run time is refused before sending.
 */
export async function produceActivity(kafka: Kafkit, topic: UserActivityTopic, log: (line: string) => void): Promise<number> {
  const producer = kafka.producer()
  try {
    for (const [i, event] of script.entries()) {
      await producer.send(topic, { key: event.userId, value: { ...event, at: new Date() }, headers: { 'trace-id': `trace-${i}` } })
    }
    log(`[activity]      published ${script.length} events to ${topic.name}`)
    return script.length
  } finally {
    await producer.disconnect()
  }
}
