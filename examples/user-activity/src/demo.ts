/**
 * `npm run demo` (part 2): the user-activity tracker end to end on a real cluster. Starts
 * the analytics and notification services, publishes activity, shows a retry, a retry
 * topic and a dead letter, inspects the DLQ, fixes the cause, replays the dead letter
 * (and shows that a second replay sends nothing), then stops everything.
 */
import { randomBytes } from 'node:crypto'
import { Kafkit } from '@kafkit/core'
import { userActivityTopic } from '#contracts'
import { produceActivity, script } from './activity-producer.js'
import { AnalyticsService } from './analytics-service.js'
import { NotificationService } from './notification-service.js'

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`demo: ${what} did not happen within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export async function runDemo({ brokers, log }: { brokers: string[]; schemaRegistryUrl?: string; log: (line: string) => void }): Promise<void> {
  // A namespace per run, so re-running against a long-lived stack starts clean.
  const run = randomBytes(3).toString('hex')
  const topic = userActivityTopic(`user-activity-${run}`)
  // Engine logs off: a fresh cluster logs transient coordinator errors; kafkit's events say what happened.
  const kafka = new Kafkit({ clientId: 'user-activity-demo', brokers, logLevel: 'nothing' })
  const analytics = new AnalyticsService(kafka, topic, `analytics-${run}`)
  const failures = { alwaysFailFor: new Set(['carol']), failOnceFor: new Set(['bob']) }
  const notifications = new NotificationService(kafka, topic, failures, log, `notifications-${run}`)
  const dlqTopic = `${topic.name}.dlq`
  try {
    log(`[demo]          topic ${topic.name} (a fresh namespace per run)`)
    await kafka.admin().ensureTopics([topic])
    await Promise.all([analytics.start(), notifications.start()])
    log('[demo]          analytics and notifications started (retry topic and DLQ created by the consumer)')

    await produceActivity(kafka, topic, log)
    const purchases = script.filter((e) => e.action === 'purchase').length
    let deadLetters = 0
    notifications.consumer.on('dlq.dispatched', () => deadLetters++)
    await until(() => analytics.handled === script.length, 'analytics caught up')
    await until(() => notifications.sent.length + deadLetters === purchases, 'notifications settled')

    log('\n[analytics]     per user and action:')
    for (const line of analytics.report()) log(`                ${line}`)

    const dlq = kafka.deadLetters(dlqTopic)
    const entries = await dlq.list()
    log(`\n[dlq]           ${entries.length} dead letter(s) in ${dlqTopic}:`)
    for (const e of entries) {
      const i = e.info
      log(`                ${e.partition}:${e.offset} key=${e.key?.toString()} from ${i.originalTopic}[${i.originalPartition}]@${i.originalOffset} group=${i.groupId} attempts=${i.attempts} ${i.errorCode} "${i.errorMessage}"`)
    }

    log('\n[ops]           the gateway is fixed for carol; replaying the dead letters (kafkit dlq replay does the same)')
    failures.alwaysFailFor.clear()
    const before = notifications.sent.length
    const dry = await dlq.replay({ dryRun: true })
    log(`[dlq]           dry run: would replay ${dry.replayed.map((r) => `${r.partition}:${r.offset} -> ${r.target}`).join(', ')}`)
    const first = await dlq.replay({ ratePerSecond: 10 })
    log(`[dlq]           replayed ${first.replayed.length} record(s)`)
    await until(() => notifications.sent.length === before + first.replayed.length, 'replayed purchase handled')
    const second = await dlq.replay()
    log(`[dlq]           second replay: ${second.replayed.length} replayed, ${second.skipped.alreadyReplayed} skipped as already replayed`)
  } finally {
    await Promise.allSettled([analytics.stop(), notifications.stop()])
    await kafka.close()
    log('[demo]          services stopped (in-flight work finished, offsets committed, groups left)')
  }
}
