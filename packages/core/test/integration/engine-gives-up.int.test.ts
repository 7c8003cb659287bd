// Contract: when the engine gives up (a crash it does not restart from; here the broker refuses the group's session timeout), a consumer's and a pipeline's start() and `done` reject with a KafkitError that names the fix, health turns not live and not ready, an error-level line is logged, and the connections are released; a running pipeline goes through the same telemetry as a consumer (a health entry, handler metrics, log lines).
import { Writable } from 'node:stream'
import { uniqueName, waitFor, rejectionOf } from '@kafkit/testkit'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, Kafkit, type KafkitError, string } from '../../src/index.js'

const { brokers } = inject('kafka')
const lines: Record<string, unknown>[] = []
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line))
      done()
    },
  }),
)
const Event = z.object({ id: z.string() })
const topic = (prefix: string) => defineTopic({ name: uniqueName(prefix), key: string(), value: json(Event), partitions: 1, replicationFactor: 1 })
let kafka: Kafkit
beforeAll(() => {
  kafka = new Kafkit({ clientId: 'kafkit-gives-up-test', brokers, logger })
})
afterAll(async () => {
  await kafka.close()
})

// Below the broker's group.min.session.timeout.ms (6000): the group join is refused, a crash kafkajs does not restart from.
const refusedSession = { sessionTimeoutMs: 2_000, heartbeatIntervalMs: 500, shutdown: false } as const

describe('the engine gives up', () => {
  it('rejects a consumer\'s start() and done, and reports it not live', async () => {
    const Input = topic('gives-up')
    await kafka.admin().ensureTopics([Input])
    const groupId = uniqueName('g')
    const consumer = kafka.consumer({ groupId, ...refusedSession })
    consumer.handle(Input, () => {})
    const started = await rejectionOf<KafkitError>(consumer.start())
    expect(started.code).toBe('KAFKIT_CONFIG')
    expect(started.message).toContain('sessionTimeoutMs 2000')
    expect(await rejectionOf<KafkitError>(consumer.done)).toBe(started)

    const report = kafka.health()
    expect(report.live).toBe(false)
    expect(report.ready).toBe(false)
    const entry = report.consumers.find((c) => c.groupId === groupId)
    expect(entry).toMatchObject({ state: 'crashed', connected: false })
    expect(report.problems.join('\n')).toContain(`consumer ${groupId} crashed`)
    expect(lines.some((l) => l.level === 50 && l.group === groupId)).toBe(true)
  })

  it('rejects a pipeline\'s start() and done, and reports it not live', async () => {
    const Input = topic('pipe-gives-up-in')
    const Output = topic('pipe-gives-up-out')
    await kafka.admin().ensureTopics([Input, Output])
    const groupId = uniqueName('g')
    const pipeline = kafka.pipeline({ groupId, transactionalId: uniqueName('tx'), ...refusedSession }).from(Input).to(Output, (m) => ({ key: m.key, value: m.value }))
    const started = await rejectionOf<KafkitError>(pipeline.start())
    expect(started.code).toBe('KAFKIT_CONFIG')
    expect(await rejectionOf<KafkitError>(pipeline.done)).toBe(started)
    const entry = kafka.health().consumers.find((c) => c.groupId === groupId)
    expect(entry).toMatchObject({ state: 'crashed', connected: false })
    expect(lines.some((l) => l.level === 50 && l.group === groupId && String(l.msg).includes('pipeline failed'))).toBe(true)
  })
})

describe('pipeline telemetry', () => {
  it('gives a running pipeline a health entry, handler metrics and log lines', async () => {
    const Input = topic('pipe-tele-in')
    const Output = topic('pipe-tele-out')
    await kafka.admin().ensureTopics([Input, Output])
    const groupId = uniqueName('g')
    const own = new Kafkit({ clientId: 'kafkit-pipeline-telemetry', brokers, logger })
    try {
      const pipeline = own.pipeline({ groupId, transactionalId: uniqueName('tx'), fromBeginning: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, shutdown: false }).from(Input).to(Output, (m) => ({ key: m.key, value: m.value }))
      await own.producer().send(Input, ['a', 'b', 'c'].map((id) => ({ key: id, value: { id } })))
      let committed = 0
      pipeline.on('pipeline.committed', (e) => (committed += e.inputs))
      await pipeline.start()
      await waitFor(() => committed === 3, { message: 'three inputs committed', timeoutMs: 60_000 })
      const entry = own.health().consumers.find((c) => c.groupId === groupId)
      expect(entry).toMatchObject({ state: 'running', connected: true, assignedPartitions: 1 })
      expect(own.health().ready).toBe(true)
      const metrics = await own.prometheus!.metrics()
      const handled = metrics.split('\n').find((l) => l.startsWith('kafkit_messages_consumed_total') && l.includes(`group="${groupId}"`))
      expect(handled, metrics).toBeDefined()
      expect(Number(handled!.split(' ').pop())).toBe(3)
      expect(metrics).toMatch(new RegExp(`kafkit_handler_duration_seconds_count\\{[^}]*group="${groupId}"[^}]*\\} 3`))
      await pipeline.stop()
      expect(own.health().consumers.find((c) => c.groupId === groupId)).toBeUndefined()
      const logged = lines.filter((l) => l.group === groupId).map((l) => l.msg)
      expect(logged).toEqual(expect.arrayContaining(['pipeline started', 'pipeline stopping', 'pipeline stopped']))
    } finally {
      await own.close()
    }
  })
})
