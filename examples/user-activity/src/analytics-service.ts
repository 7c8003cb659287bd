import type { Kafkit, KafkitConsumer } from '@kafkit/core'
import type { UserActivityTopic } from '#contracts'

/** The analytics service: counts each user's actions (consumer group `analytics`). */
export class AnalyticsService {
  readonly counts = new Map<string, Record<'login' | 'click' | 'purchase', number>>()
  revenueCents = 0
  handled = 0
  readonly consumer: KafkitConsumer

  constructor(kafka: Kafkit, topic: UserActivityTopic, groupId = 'analytics') {
    this.consumer = kafka.consumer({ groupId, fromBeginning: true, shutdown: false })
    this.consumer.handle(topic, async ({ value }) => {
      // `value` is typed by the contract: action is 'login' | 'click' | 'purchase', at is a Date.
      const row = this.counts.get(value.userId) ?? { login: 0, click: 0, purchase: 0 }
      row[value.action]++
      this.counts.set(value.userId, row)
      if (value.action === 'purchase') this.revenueCents += value.amountCents ?? 0
      this.handled++
    })
  }

  start(): Promise<void> {
    return this.consumer.start()
  }

  stop(): Promise<void> {
    return this.consumer.stop()
  }

  /** The aggregate as printable lines. */
  report(): string[] {
    const users = [...this.counts.keys()].sort()
    return [
      'user     logins  clicks  purchases',
      ...users.map((u) => {
        const r = this.counts.get(u)!
        return `${u.padEnd(8)} ${String(r.login).padStart(6)}  ${String(r.click).padStart(6)}  ${String(r.purchase).padStart(9)}`
      }),
      `revenue: ${(this.revenueCents / 100).toFixed(2)}`,
    ]
  }
}
