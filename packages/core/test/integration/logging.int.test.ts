// Contract: kafkit and kafkajs log through the one pino logger given; in a healthy run (start, a second member joining, consuming, stopping) kafkajs' retriable broker answers that it logs at ERROR ("The group is rebalancing, so a rejoin is needed"…) arrive at debug, so no error line appears, while kafkit's own lines carry component and group.
import { Writable } from 'node:stream'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { pino } from 'pino'
import { afterAll, describe, expect, inject, test } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, Kafkit, string } from '../../src/index.js'

const { brokers } = inject('kafka')

const lines: Record<string, unknown>[] = []
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line))
      done()
    },
  }),
)
const ERROR = 50
const DEBUG = 20

const kafka = new Kafkit({ clientId: 'kafkit-logging-test', brokers, logger })
afterAll(() => kafka.close())

describe('logging through pino', () => {
  test('a rebalance in a healthy group logs no error; the benign engine lines are at debug', async () => {
    const Topic = defineTopic({ name: uniqueName('logged'), key: string(), value: json(z.object({ n: z.number() })), partitions: 2, replicationFactor: 1 })
    await kafka.admin().ensureTopics([Topic])
    const groupId = uniqueName('logged-group')
    const seen: number[] = []
    const member = () =>
      kafka
        .consumer({ groupId, fromBeginning: true, shutdown: false, heartbeatIntervalMs: 300 })
        .handle(Topic, async ({ value }) => {
          seen.push(value.n)
        })
    const first = member()
    await first.start()
    await waitFor(() => kafka.health().ready, { timeoutMs: 60_000, message: 'first member ready' })
    // A second member makes the group rebalance under the first one's feet.
    const second = member()
    await second.start()
    await waitFor(() => kafka.health().ready && kafka.health().consumers.every((c) => c.assignedPartitions === 1), { timeoutMs: 60_000, message: 'both members hold a partition' })
    await kafka.producer().send(Topic, [
      { key: 'a', value: { n: 1 }, partition: 0 },
      { key: 'b', value: { n: 2 }, partition: 1 },
    ])
    await waitFor(() => seen.length === 2, { timeoutMs: 60_000, message: 'both messages handled' })
    await Promise.all([first.stop(), second.stop()])

    const engine = lines.filter((line) => line.component === 'kafkajs')
    expect(engine.length).toBeGreaterThan(20)
    // The rebalance reached the first member as an error answer, which kafkajs logs at ERROR; here it is debug.
    const rebalance = engine.filter((line) => line.kafkaError === 'REBALANCE_IN_PROGRESS')
    expect(rebalance.length).toBeGreaterThan(0)
    for (const line of rebalance) expect(line.level).toBe(DEBUG)
    expect(lines.filter((line) => (line.level as number) >= ERROR)).toEqual([])

    const own = lines.filter((line) => line.component === 'kafkit' && line.group === groupId)
    expect(own.map((line) => line.msg)).toEqual(expect.arrayContaining(['consumer started', 'consumer stopping', 'consumer stopped']))
    expect(engine.some((line) => line.namespace === 'Connection')).toBe(true)
  })
})
