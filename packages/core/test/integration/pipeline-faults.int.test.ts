// Contract: a pipeline whose commit answer is lost (the broker committed, the connection is cut before its answer) transforms nothing of the partition again until it read the group's committed offset, also while that read fails: every input is transformed once and has one output under read_committed; a member whose writes stall past its session timeout, while a second member joins and takes its partition, aborts its open transaction when its heartbeat says the group moved on rather than commit it: every input has exactly one output across the two members.
import { type KafkaCluster, startKafka, uniqueName, waitFor } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, Kafkit, type KafkitPipeline, type PipelineEvents, string } from '../../src/index.js'
import { ApiKey, type KafkaProxy, proxyBroker } from './kafka-proxy.js'
import { committedOffsets, lastStableOffsets, readCommitted } from './transaction-helpers.js'

let cluster: KafkaCluster
let proxy: KafkaProxy
/** kafkit clients, each with its own client id (the proxy tells their requests apart by it), all through the proxy. */
const clients: Kafkit[] = []
const client = (clientId: string) => {
  const kafka = new Kafkit({ clientId, brokers: [proxy.address], logLevel: 'nothing' })
  clients.push(kafka)
  return kafka
}
/** The test's own readers and admin reach the broker directly. */
const direct = () => cluster.brokers
const Event = z.object({ n: z.number(), by: z.string().optional() })
const topic = (prefix: string) => defineTopic({ name: uniqueName(prefix), key: string(), value: json(Event), partitions: 1, replicationFactor: 1 })
const defaults = { fromBeginning: true, heartbeatIntervalMs: 500, shutdown: false, maxRecordsPerTransaction: 100, transactionRetry: { backoff: { initialMs: 300, maxMs: 600 } } } as const

beforeAll(async () => {
  cluster = await startKafka({ backend: 'jvm', brokers: 1, log: () => {} })
  proxy = await proxyBroker(cluster.brokers[0]!)
}, 240_000)

afterAll(async () => {
  for (const kafka of clients) await kafka.close()
  await proxy?.close()
  await cluster?.stop()
})

function record<K extends keyof PipelineEvents>(pipeline: KafkitPipeline, name: K): PipelineEvents[K][] {
  const seen: PipelineEvents[K][] = []
  pipeline.on(name, (payload) => seen.push(payload))
  return seen
}
const committed = async (groupId: string, name: string) => (await committedOffsets(direct(), groupId, name)).get(0)
const end = async (name: string) => (await lastStableOffsets(direct(), name)).get(0)
/** How many committed outputs each input has, by its number. */
async function outputsPerInput(name: string): Promise<Map<number, string[]>> {
  const byInput = new Map<number, string[]>()
  for (const r of await readCommitted(direct(), name)) {
    const { n, by } = JSON.parse(r.value) as { n: number; by: string }
    byInput.set(n, [...(byInput.get(n) ?? []), by])
  }
  return byInput
}

describe('a pipeline on a broker whose answers are cut or held', () => {
  it('after a commit whose answer is lost, transforms nothing of the partition again until the committed offset was read, also while that read fails', async () => {
    const Input = topic('pf-lost-in')
    const Output = topic('pf-lost-out')
    const kafka = client(uniqueName('pf-lost'))
    await kafka.admin().ensureTopics([Input, Output])
    const groupId = uniqueName('g')
    const transformed = new Map<number, number>()
    const pipeline = kafka
      .pipeline({ ...defaults, groupId, transactionalId: uniqueName('tx'), sessionTimeoutMs: 10_000 })
      .from(Input)
      .to(Output, ({ key, value }) => {
        transformed.set(value.n, (transformed.get(value.n) ?? 0) + 1)
        return { key, value: { n: value.n, by: 'pipeline' } }
      })
    const unknown = record(pipeline, 'producer.txn.commit-unknown')
    const resumed = record(pipeline, 'pipeline.resumed')
    const source = kafka.producer()
    const send = (from: number) => source.send(Input, Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: { n: from + i } })))
    let endTxnCuts = 0
    let offsetReadCuts = 0
    let offsetReadsRefusedUntil = 0
    try {
      await pipeline.start()
      await send(0)
      await waitFor(async () => (await committed(groupId, Input.name)) === '5', { timeoutMs: 30_000, message: 'the first 5 inputs committed' })

      // The next commit reaches the broker, which commits; its answer is cut. Then, for 2.5 s, every
      // committed-offset read is cut too: the recovery after the lost answer fails, and is tried again.
      proxy.onResponse = (r) => {
        if (r.apiKey !== ApiKey.EndTxn || endTxnCuts > 0) return 'pass'
        endTxnCuts++
        offsetReadsRefusedUntil = Date.now() + 2_500
        return 'reset'
      }
      proxy.onRequest = (r) => (r.apiKey === ApiKey.OffsetFetch && Date.now() < offsetReadsRefusedUntil ? (offsetReadCuts++, 'reset') : 'pass')
      await send(5)
      await waitFor(async () => endTxnCuts > 0 && (await committed(groupId, Input.name)) === '10', { timeoutMs: 30_000, message: 'the inputs of the lost answer committed' })
      await send(10)
      await waitFor(async () => (await committed(groupId, Input.name)) === '15', { timeoutMs: 30_000, message: 'every input committed' })
    } finally {
      proxy.onResponse = () => 'pass'
      proxy.onRequest = () => 'pass'
      await pipeline.stop()
    }
    const inputs = Array.from({ length: 15 }, (_, n) => n)
    const outputs = await outputsPerInput(Output.name)
    expect(inputs.filter((n) => outputs.get(n)?.length !== 1), 'inputs without exactly one output').toEqual([])
    expect(inputs.filter((n) => transformed.get(n) !== 1), 'inputs transformed other than once').toEqual([])
    expect(endTxnCuts).toBe(1)
    expect(unknown).toHaveLength(1)
    // The recovery did fail at least once before the committed offset could be read, and then resumed from it.
    expect(offsetReadCuts).toBeGreaterThan(0)
    expect(resumed.map((e) => e.committedOffset)).toContain('10')
  })

  it('a member whose writes stall past its session timeout while another takes its partition aborts its open transaction instead of committing it', async () => {
    const Input = topic('pf-moved-in')
    const Output = topic('pf-moved-out')
    const aClientId = uniqueName('pf-member-a')
    const a = client(aClientId)
    const b = client(uniqueName('pf-member-b'))
    await a.admin().ensureTopics([Input, Output])
    const groupId = uniqueName('g')
    // The broker would abort a transaction open longer than this itself: well above the stall.
    const member = (kafka: Kafkit, by: string) =>
      kafka
        .pipeline({ ...defaults, groupId, transactionalId: uniqueName(`tx-${by}`), sessionTimeoutMs: 6_000, transactionTimeoutMs: 45_000 })
        .from(Input)
        .to(Output, ({ key, value }) => ({ key, value: { n: value.n, by } }))
    const first = member(a, 'a')
    const aborts = record(first, 'producer.txn.abort')
    const commits = record(first, 'pipeline.committed')
    const source = client(uniqueName('pf-source')).producer()
    const send = (from: number) => source.send(Input, Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: { n: from + i } })))
    let second: KafkitPipeline | undefined
    // Member a's writes are taken by the broker, but their answers are held: a waits inside its open transaction, heartbeating nothing.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let holding = false
    let heldAnswers = 0
    proxy.onResponse = (r) => (holding && r.clientId === aClientId && r.apiKey === ApiKey.Produce ? (heldAnswers++, held) : 'pass')
    try {
      await first.start()
      await send(0)
      await waitFor(async () => (await committed(groupId, Input.name)) === '5', { timeoutMs: 30_000, message: 'member a committed the first 5 inputs' })

      holding = true
      await send(5)
      await waitFor(() => heldAnswers > 0, { timeoutMs: 30_000, message: "member a's write of the next inputs held" })
      // Member b joins; a misses its session timeout, and b gets the partition and commits the held inputs' outputs.
      second = member(b, 'b')
      await second.start()
      await waitFor(async () => (await committed(groupId, Input.name)) === '10', { timeoutMs: 45_000, message: 'member b committed the inputs member a holds' })
      // Now a's writes go through: its next heartbeat says the group moved on.
      release()
      await waitFor(() => aborts.some((e) => e.reason === 'revoked') || commits.some((c) => c.nextOffset === '10'), { timeoutMs: 30_000, message: "member a's open transaction ended" })
      await send(10)
      await waitFor(async () => (await committed(groupId, Input.name)) === (await end(Input.name)), { timeoutMs: 45_000, message: 'every input committed' })
    } finally {
      release()
      holding = false
      proxy.onResponse = () => 'pass'
      await Promise.all([first.stop(), second?.stop()])
    }
    const outputs = await outputsPerInput(Output.name)
    const inputs = Array.from({ length: 15 }, (_, n) => n)
    // The held inputs' outputs are b's alone: a's transaction of them was aborted, not committed.
    expect([5, 6, 7, 8, 9].map((n) => outputs.get(n))).toEqual([['b'], ['b'], ['b'], ['b'], ['b']])
    expect(inputs.filter((n) => outputs.get(n)?.length !== 1), 'inputs without exactly one output').toEqual([])
    expect(commits.map((c) => c.nextOffset)).not.toContain('10')
    expect(aborts.filter((e) => e.reason === 'revoked')).toHaveLength(1)
  })
})
