import { KafkitError, type Kafkit, type KafkitConsumer } from '@kafkit/core'
import type { UserActivityTopic } from '#contracts'

/** When the (simulated) mail gateway fails. */
export interface FailureSimulation {
  /** Users whose purchase mails always fail (e.g. a frozen account): retried, then dead-lettered. */
  alwaysFailFor: Set<string>
  /** Users whose first mail attempt fails (a flaky gateway): succeeds on retry. */
  failOnceFor: Set<string>
}

/**
 * The notification service: mails a receipt for each purchase (consumer group
 * `notifications`). Its failure policy: two in-place retries with jittered backoff, one
 * non-blocking retry topic after 2 s, then the dead-letter topic `<topic>.dlq`.
 */
export class NotificationService {
  readonly sent: string[] = []
  readonly consumer: KafkitConsumer

  constructor(kafka: Kafkit, topic: UserActivityTopic, readonly failures: FailureSimulation, log: (line: string) => void, groupId = 'notifications') {
    this.consumer = kafka.consumer({ groupId, fromBeginning: true, shutdown: false })
    this.consumer.handle(topic, async ({ value, attempt, receivedFrom, headers }) => {
      if (value.action !== 'purchase') return
      const who = value.userId
      if (failures.alwaysFailFor.has(who)) throw new Error(`mail gateway refused ${who}: account frozen`)
      if (failures.failOnceFor.has(who) && attempt === 1) throw new KafkitError('KAFKIT_HANDLER', `mail gateway timeout for ${who}`, { retriable: true })
      const line = `receipt to ${who} for ${((value.amountCents ?? 0) / 100).toFixed(2)} (attempt ${attempt}${receivedFrom === topic.name ? '' : `, via ${receivedFrom}`}${headers['trace-id'] ? `, ${headers['trace-id']}` : ''})`
      this.sent.push(line)
      log(`[notifications] ${line}`)
    }, {
      retry: { attempts: 2, backoff: { initialMs: 100, maxMs: 1_000 } },
      retryTopics: ['2s'],
      deadLetter: true,
    })
    this.consumer.on('consumer.retry', (e) => log(`[notifications] retry #${e.attempt} of ${e.topic}[${e.partition}]@${e.offset} in ${e.delayMs} ms: ${e.errorMessage}`))
    this.consumer.on('consumer.retry-topic', (e) => log(`[notifications] parked ${e.topic}[${e.partition}]@${e.offset} in ${e.retryTopic} until ${new Date(e.dueAt).toISOString()}`))
    this.consumer.on('dlq.dispatched', (e) => log(`[notifications] dead-lettered ${e.topic}[${e.partition}]@${e.offset} to ${e.dlqTopic} (${e.errorCode}, ${e.attempts} attempts on that delivery)`))
  }

  start(): Promise<void> {
    return this.consumer.start()
  }

  stop(): Promise<void> {
    return this.consumer.stop()
  }
}
