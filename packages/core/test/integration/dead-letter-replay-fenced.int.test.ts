// Contract: a dead-letter replay fenced by another registration of `kafkit-replay-<dlq>` rejects with KAFKIT_PRODUCER_FENCED (not retriable, naming the dead-letter topic and the transactional id, the engine's error kept as cause), whichever of its Kafka calls sees the fencing first: the Produce of a batch, the AddPartitionsToTxn of the next batch, or the EndTxn of its commit; and a replay run after it brings every dead letter to the target and the ledger exactly once.
import { type KafkaCluster, startKafka, uniqueName, waitFor } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { replayTransactionalIdOf } from '../../src/consumer/replay.js'
import { defineTopic, isKafkitError, Kafkit, type KafkitError, string } from '../../src/index.js'
import { ApiKey, type KafkaProxy, proxyBroker } from './kafka-proxy.js'
import { deadLetterMessages } from './dead-letters.js'
import { groupCaughtUp, readCommitted } from './transaction-helpers.js'

let cluster: KafkaCluster
let proxy: KafkaProxy
/** The replay that gets fenced reaches the broker through the proxy; everything else directly. */
let proxied: Kafkit
let plain: Kafkit
const direct = () => cluster.brokers
const raw = () => new kafkajs.Kafka({ clientId: 'kafkit-fence-test', brokers: direct(), logLevel: kafkajs.logLevel.NOTHING })

beforeAll(async () => {
  cluster = await startKafka({ backend: 'jvm', brokers: 1, log: () => {} })
  proxy = await proxyBroker(cluster.brokers[0]!)
  proxied = new Kafkit({ clientId: 'kafkit-replay-fenced', brokers: [proxy.address], logLevel: 'nothing' })
  plain = new Kafkit({ clientId: 'kafkit-replay-after', brokers: direct(), logLevel: 'nothing' })
}, 240_000)

afterAll(async () => {
  await proxied?.close()
  await plain?.close()
  await proxy?.close()
  await cluster?.stop()
})

const PARTITIONS = 2

/** `count` dead letters of `source` in `dlq`, spread over its partitions. */
async function deadLetters(source: string, dlq: string, count: number): Promise<void> {
  const admin = raw().admin()
  await admin.connect()
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [source, dlq].map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })) })
  } finally {
    await admin.disconnect()
  }
  const producer = raw().producer()
  await producer.connect()
  try {
    await producer.send({ topic: dlq, acks: -1, messages: deadLetterMessages(source, count, PARTITIONS) })
  } finally {
    await producer.disconnect()
  }
}

/** Another instance registers the replays' transactional id (kafkajs, directly): the broker fences the replay's epoch and aborts its open transaction. */
async function fence(dlq: string): Promise<void> {
  const producer = raw().producer({ transactionalId: replayTransactionalIdOf(dlq), idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    // kafkajs registers the id (InitProducerId, retried while the coordinator aborts the replay's transaction) when the first transaction begins.
    const txn = await producer.transaction()
    await txn.abort()
  } finally {
    await producer.disconnect()
  }
}

/** How often each value (`payload <i>`) is in `topic` for a read_committed reader. */
async function copies(topic: string, by: 'key' | 'value'): Promise<Map<string, number>> {
  const seen = new Map<string, number>()
  for (const record of await readCommitted(direct(), topic)) {
    const id = by === 'key' ? record.key! : record.value
    seen.set(id, (seen.get(id) ?? 0) + 1)
  }
  return seen
}

/** The cause chain of an error as names, codes and protocol types: what the engine and kafkit said. */
function chainOf(error: unknown): string {
  const links: string[] = []
  for (let link = error as { name?: string; code?: unknown; type?: string; message?: string; cause?: unknown; originalError?: unknown; context?: unknown } | undefined, depth = 0; link && depth < 8; depth++) {
    links.push(JSON.stringify({ name: link.name, code: link.code, type: link.type, message: link.message, context: link.context === undefined ? undefined : { ...(link.context as object), failed: undefined, partitions: undefined } }))
    link = (link.cause ?? link.originalError) as typeof link
  }
  return links.join('\n  <- ')
}

/**
 * Replays `dlq` through the proxy with the first answer of `apiKey` held until another
 * instance registered the replays' transactional id: the replay's next call is the first to
 * meet the fencing. Returns the replay's error and what it reported replayed.
 */
async function fencedAt(apiKey: number, dlq: string, options: { cutFirstEndTxn?: boolean } = {}): Promise<{ error: KafkitError; replayed: number; held: number; cut: number }> {
  let held = 0
  let cut = 0
  let fenced: Promise<void> | undefined
  proxy.onResponse = (request) => {
    if (request.apiKey !== apiKey || held > 0) return 'pass'
    held++
    fenced = fence(dlq)
    return fenced
  }
  // The commit's request is lost (the broker never sees it): its failure says nothing of the fencing.
  if (options.cutFirstEndTxn) proxy.onRequest = (request) => (request.apiKey === ApiKey.EndTxn && cut === 0 ? (cut++, 'reset') : 'pass')
  const tool = proxied.deadLetters(dlq)
  let replayed = 0
  tool.on('replay.record', () => replayed++)
  try {
    const outcome = await tool.replay({ collect: false }).then(
      (report) => new Error(`the replay was not fenced: it replayed ${report.replayedCount}`),
      (error: unknown) => error,
    )
    await fenced
    return { error: outcome as KafkitError, replayed, held, cut }
  } finally {
    proxy.onResponse = () => 'pass'
    proxy.onRequest = () => 'pass'
  }
}

function expectFenced(error: KafkitError, dlq: string): void {
  expect(isKafkitError(error), chainOf(error)).toBe(true)
  expect(error.code, chainOf(error)).toBe('KAFKIT_PRODUCER_FENCED')
  expect(error.retriable).toBe(false)
  expect(error.message).toContain(dlq)
  expect(error.context).toMatchObject({ topic: dlq, dlqTopic: dlq, transactionalId: replayTransactionalIdOf(dlq), fenced: true })
  expect(error.cause).toBeDefined()
}

/** A replay of `dlq` run after the fenced one sends the rest: every dead letter is in the target and the ledger exactly once. */
async function expectEachOnce(source: string, dlq: string, count: number, replayedBefore: number): Promise<void> {
  const after = await plain.deadLetters(dlq).replay({ collect: false })
  expect(after.replayedCount + replayedBefore).toBe(count)
  const target = await copies(source, 'value')
  expect(target.size).toBe(count)
  expect([...target].filter(([, n]) => n !== 1)).toEqual([])
  const ledger = await copies(`${dlq}.replayed`, 'key')
  expect(ledger.size).toBe(count)
  expect([...ledger].filter(([, n]) => n !== 1)).toEqual([])
}

describe('a replay fenced by another registration of its transactional id', () => {
  it('fenced at the Produce of a batch (its partitions added, then another instance registers): KAFKIT_PRODUCER_FENCED; a later replay sends each dead letter once', async () => {
    const source = uniqueName('fence-produce-src')
    const dlq = `${source}.dlq`
    await deadLetters(source, dlq, 300)
    const { error, replayed, held } = await fencedAt(ApiKey.AddPartitionsToTxn, dlq)
    expect(held).toBe(1)
    expectFenced(error, dlq)
    expect(replayed).toBe(0)
    // Met before its commit: the transaction it had open was aborted, and the message says so.
    expect(error.message).toMatch(/the transaction of its last 300 dead letters, never committed, was aborted/)
    await expectEachOnce(source, dlq, 300, replayed)
  })

  it('fenced at the EndTxn of its commit (its records written, then another instance registers): KAFKIT_PRODUCER_FENCED; a later replay sends each dead letter once', async () => {
    const source = uniqueName('fence-commit-src')
    const dlq = `${source}.dlq`
    await deadLetters(source, dlq, 300)
    const { error, replayed, held } = await fencedAt(ApiKey.Produce, dlq)
    expect(held).toBe(1)
    expectFenced(error, dlq)
    expect(replayed).toBe(0)
    await expectEachOnce(source, dlq, 300, replayed)
  })

  it('fenced while its commit request is lost (the failure says nothing; the abort of its epoch is refused as fenced): KAFKIT_PRODUCER_FENCED; a later replay sends each dead letter once', async () => {
    const source = uniqueName('fence-lost-src')
    const dlq = `${source}.dlq`
    await deadLetters(source, dlq, 300)
    const { error, replayed, held, cut } = await fencedAt(ApiKey.Produce, dlq, { cutFirstEndTxn: true })
    expect(held).toBe(1)
    expect(cut).toBe(1)
    expectFenced(error, dlq)
    expect(replayed).toBe(0)
    // A commit whose request was lost may have gone through: the message does not claim an abort.
    expect(error.message).toMatch(/the commit of its last 300 dead letters met the fencing without an answer that settles it: that transaction may have committed or not/)
    expect(error.message).not.toContain('aborted')
    await expectEachOnce(source, dlq, 300, replayed)
  })

  it('fenced at the AddPartitionsToTxn of its next batch (one batch committed, then another instance registers): KAFKIT_PRODUCER_FENCED; a later replay sends only the rest, each once', async () => {
    const source = uniqueName('fence-next-src')
    const dlq = `${source}.dlq`
    await deadLetters(source, dlq, 700)
    const { error, replayed, held } = await fencedAt(ApiKey.EndTxn, dlq)
    expect(held).toBe(1)
    expectFenced(error, dlq)
    // The first batch (500) committed before the fencing; the second never went.
    expect(replayed).toBe(500)
    expect(error.context.replayedCount).toBe(500)
    await expectEachOnce(source, dlq, 700, replayed)
  })
})

describe('a pipeline fenced by another registration of its transactional id', () => {
  const topic = (prefix: string) => defineTopic({ name: uniqueName(prefix), key: string(), value: string(), partitions: 1, replicationFactor: 1 })

  /** Runs a pipeline through the proxy with the first answer of `apiKey` held until another instance registered its id; then a second pipeline (directly) takes over. */
  async function pipelineFencedAt(apiKey: number, { cutFirstEndTxn = false }: { cutFirstEndTxn?: boolean } = {}): Promise<void> {
    const Input = topic('fence-pipe-in')
    const Output = topic('fence-pipe-out')
    await plain.admin().ensureTopics([Input, Output])
    const inputs = Array.from({ length: 20 }, (_, i) => `in-${i}`)
    await plain.producer().send(Input, inputs.map((id) => ({ key: id, value: id })))
    const groupId = uniqueName('g')
    const transactionalId = uniqueName('tx')
    const options = { groupId, transactionalId, fromBeginning: true, heartbeatIntervalMs: 500, shutdown: false as const, maxRecordsPerTransaction: 100 }
    let held = 0
    let fenced: Promise<void> | undefined
    proxy.onResponse = (request) => {
      if (request.apiKey !== apiKey || held > 0) return 'pass'
      held++
      fenced = (async () => {
        const producer = raw().producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
        await producer.connect()
        try {
          await (await producer.transaction()).abort()
        } finally {
          await producer.disconnect()
        }
      })()
      return fenced
    }
    let cut = 0
    if (cutFirstEndTxn) proxy.onRequest = (request) => (request.apiKey === ApiKey.EndTxn && cut === 0 ? (cut++, 'reset') : 'pass')
    const older = proxied.pipeline(options).from(Input).to(Output, ({ key, value }) => ({ key, value: `${value}@older` }))
    let error: unknown
    try {
      await older.start()
      error = await older.done.then(
        () => new Error('the pipeline was not fenced'),
        (e: unknown) => e,
      )
      await fenced
    } finally {
      proxy.onResponse = () => 'pass'
      proxy.onRequest = () => 'pass'
      await older.stop().catch(() => {})
    }
    expect(held).toBe(1)
    expect(cut).toBe(cutFirstEndTxn ? 1 : 0)
    expect(isKafkitError(error), chainOf(error)).toBe(true)
    expect((error as KafkitError).code, chainOf(error)).toBe('KAFKIT_PRODUCER_FENCED')
    expect((error as KafkitError).retriable).toBe(false)
    expect((error as KafkitError).context).toMatchObject({ transactionalId, fenced: true })
    // A newer instance takes over: every input has exactly one committed output.
    const newer = plain.pipeline(options).from(Input).to(Output, ({ key, value }) => ({ key, value: `${value}@newer` }))
    await newer.start()
    try {
      await waitFor(() => groupCaughtUp(direct(), groupId, Input.name), { timeoutMs: 60_000, message: 'the newer pipeline caught up' })
    } finally {
      await newer.stop()
    }
    const outputs = new Map<string, number>()
    for (const record of await readCommitted(direct(), Output.name)) {
      const id = record.value.split('@')[0]!
      outputs.set(id, (outputs.get(id) ?? 0) + 1)
    }
    expect(inputs.filter((id) => outputs.get(id) !== 1)).toEqual([])
  }

  it('fenced at its AddOffsetsToTxn (its outputs written, then another instance registers): KAFKIT_PRODUCER_FENCED; each input gets one output', async () => {
    await pipelineFencedAt(ApiKey.Produce)
  })

  it('fenced at its TxnOffsetCommit (its offsets added, then another instance registers): KAFKIT_PRODUCER_FENCED; each input gets one output', async () => {
    await pipelineFencedAt(ApiKey.AddOffsetsToTxn)
  })

  it('fenced while its commit request is lost (the failure says nothing; the abort of its epoch is refused as fenced): KAFKIT_PRODUCER_FENCED, it does not register again over the newer instance; each input gets one output', async () => {
    await pipelineFencedAt(ApiKey.TxnOffsetCommit, { cutFirstEndTxn: true })
  })
})
