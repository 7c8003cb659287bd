// Contract: a pipeline transforms only committed input (read_committed), writes one, several or no typed outputs per input, and when a second instance registers the same transactional id the older one stops with KAFKIT_PRODUCER_FENCED while every input still has exactly one output, also with partitions handled concurrently on the one transactional producer.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { z } from 'zod'
import { defineTopic, isKafkitError, json, Kafkit, type KafkitPipeline, string } from '../../src/index.js'
import { groupCaughtUp, readCommitted } from './transaction-helpers.js'

const { brokers } = inject('kafka')
let kafka: Kafkit
const Event = z.object({ id: z.string() })
const topic = (prefix: string, partitions = 1) => defineTopic({ name: uniqueName(prefix), key: string(), value: json(Event), partitions, replicationFactor: 1 })
const pipelineDefaults = { fromBeginning: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, shutdown: false } as const

beforeAll(() => {
  kafka = new Kafkit({ clientId: 'kafkit-pipeline-test', brokers, logLevel: 'nothing' })
})
afterAll(async () => {
  await kafka.close()
})

const ids = async (name: string) => (await readCommitted(brokers, name)).map((r) => (JSON.parse(r.value) as { id: string }).id)

describe('pipeline', () => {
  it('transforms only committed input, and writes one, several or no outputs per input to several topics', async () => {
    const Input = topic('pipe-in')
    const Main = topic('pipe-main')
    const Audit = topic('pipe-audit')
    await kafka.admin().ensureTopics([Input, Main, Audit])
    const source = kafka.producer({ transactionalId: uniqueName('source') })
    await expect(
      source.transaction(async (tx) => {
        await tx.send(Input, { key: 'g', value: { id: 'ghost' } })
        throw new Error('abort this one')
      }),
    ).rejects.toThrow('abort this one')
    await source.transaction(async (tx) => {
      await tx.send(Input, ['a', 'skip', 'b'].map((id) => ({ key: id, value: { id } })))
    })

    const groupId = uniqueName('g')
    const pipeline = kafka
      .pipeline({ ...pipelineDefaults, groupId, transactionalId: uniqueName('tx') })
      .from(Input)
      .to({ main: Main, audit: Audit }, ({ key, value }) => {
        if (value.id === 'skip') return null
        return { main: { key, value }, audit: [1, 2].map((n) => ({ key, value: { id: `${value.id}-${n}` } })) }
      })
    await pipeline.start()
    await waitFor(() => groupCaughtUp(brokers, groupId, Input.name), { timeoutMs: 60_000, message: 'pipeline caught up' })
    await pipeline.stop()

    expect((await ids(Main.name)).sort()).toEqual(['a', 'b'])
    expect((await ids(Audit.name)).sort()).toEqual(['a-1', 'a-2', 'b-1', 'b-2'])
  })

  it('fences the older instance when a second one registers the same transactional id, duplicating nothing', async () => {
    const Input = topic('pipe-fence-in', 2)
    const Output = topic('pipe-fence-out', 2)
    await kafka.admin().ensureTopics([Input, Output])
    const total = 400
    const all = Array.from({ length: total }, (_, i) => `in-${i}`)
    const source = kafka.producer()
    await source.send(Input, all.map((id) => ({ key: id, value: { id } })))

    const groupId = uniqueName('g')
    const transactionalId = uniqueName('tx')
    const make = (name: string): KafkitPipeline =>
      kafka
        .pipeline({ ...pipelineDefaults, groupId, transactionalId, maxRecordsPerTransaction: 20, partitionsConcurrently: 2 })
        .from(Input)
        .to(Output, async ({ key, value }) => {
          await new Promise((resolve) => setTimeout(resolve, 5))
          return { key, value: { id: `${value.id}@${name}` } }
        })
    const older = make('older')
    let olderCommits = 0
    older.on('pipeline.committed', () => olderCommits++)
    await older.start()
    await waitFor(() => olderCommits >= 2, { timeoutMs: 60_000, message: 'older instance committed' })

    const newer = make('newer')
    await newer.start()
    const error = await older.done.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isKafkitError(error) && error.code).toBe('KAFKIT_PRODUCER_FENCED')
    expect((error as Error).message).toContain(transactionalId)

    await waitFor(() => groupCaughtUp(brokers, groupId, Input.name), { timeoutMs: 90_000, message: 'newer instance caught up' })
    await newer.stop()
    const written = (await ids(Output.name)).map((id) => id.split('@')[0]!)
    const counts = new Map<string, number>()
    for (const id of written) counts.set(id, (counts.get(id) ?? 0) + 1)
    expect(all.filter((id) => counts.get(id) !== 1)).toEqual([])
    expect(written).toHaveLength(total)
  })
})
