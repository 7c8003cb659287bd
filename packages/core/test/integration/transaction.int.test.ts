// Contract: producer.transaction commits all its messages on several topics together (none visible to read_committed readers before the commit, all after), an aborted one leaves nothing visible, transactions of one producer run one at a time, and a producer whose transactional id another instance registered fails with KAFKIT_PRODUCER_FENCED instead of writing.
import { uniqueName } from '@kafkit/testkit'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { defineTopic, isKafkitError, Kafkit, type KafkitProducer, string, type TransactionEvents } from '../../src/index.js'
import { lastStableOffsets, readUntil } from './transaction-helpers.js'

const { brokers } = inject('kafka')
let kafka: Kafkit

const contracts = () => {
  const Orders = defineTopic({ name: uniqueName('txn-orders'), key: string(), value: string(), partitions: 2, replicationFactor: 1 })
  const Payments = defineTopic({ name: uniqueName('txn-payments'), key: string(), value: string(), partitions: 1, replicationFactor: 1 })
  return { Orders, Payments }
}

beforeAll(() => {
  kafka = new Kafkit({ clientId: 'kafkit-txn-test', brokers, logLevel: 'nothing' })
})
afterAll(async () => {
  await kafka.close()
})

function record<K extends keyof TransactionEvents>(producer: KafkitProducer, name: K): TransactionEvents[K][] {
  const seen: TransactionEvents[K][] = []
  producer.on(name, (payload) => seen.push(payload))
  return seen
}

describe('producer.transaction', () => {
  it('makes every message of a committed transaction visible together, on several topics', async () => {
    const { Orders, Payments } = contracts()
    await kafka.admin().ensureTopics([Orders, Payments])
    const producer = kafka.producer({ transactionalId: uniqueName('txn') })
    const commits = record(producer, 'producer.txn.commit')

    let stableInside: Map<number, string>[] = []
    let uncommittedInside = 0
    const result = await producer.transaction(async (tx) => {
      await tx.send(Orders, [
        { key: 'o1', value: 'order-1' },
        { key: 'o2', value: 'order-2' },
      ])
      await tx.send(Payments, { key: 'o1', value: 'payment-1' })
      // Written (a read_uncommitted reader sees them) but not yet visible to read_committed ones.
      uncommittedInside = (await readUntil(brokers, [Orders.name, Payments.name], (r) => r.length >= 3, { readUncommitted: true })).length
      stableInside = await Promise.all([lastStableOffsets(brokers, Orders.name), lastStableOffsets(brokers, Payments.name)])
      return 'done'
    })

    expect(result).toBe('done')
    expect(uncommittedInside).toBe(3)
    for (const offsets of stableInside) for (const offset of offsets.values()) expect(offset).toBe('0')
    const seen = await readUntil(brokers, [Orders.name, Payments.name], (r) => r.length >= 3)
    expect(seen.map((r) => r.value).sort()).toEqual(['order-1', 'order-2', 'payment-1'])
    expect(commits).toHaveLength(1)
    expect(commits[0]).toMatchObject({ records: 3, attempt: 1 })
    expect(commits[0]!.topics.sort()).toEqual([Orders.name, Payments.name].sort())
  })

  it('aborts when the callback throws, rethrows, and leaves nothing visible to read_committed readers', async () => {
    const { Orders, Payments } = contracts()
    await kafka.admin().ensureTopics([Orders, Payments])
    const producer = kafka.producer({ transactionalId: uniqueName('txn') })
    const aborts = record(producer, 'producer.txn.abort')
    const boom = new Error('boom')

    await expect(
      producer.transaction(async (tx) => {
        await tx.send(Orders, { key: 'o1', value: 'aborted-order' })
        await tx.send(Payments, { key: 'o1', value: 'aborted-payment' })
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(aborts).toMatchObject([{ reason: 'callback-error', errorMessage: 'boom' }])
    expect(aborts[0]!.retryInMs).toBeUndefined()

    // The producer goes on: a later transaction commits markers behind the aborted records.
    await producer.transaction(async (tx) => {
      await tx.send(Orders, [{ key: 'o1', value: 'marker' }])
      await tx.send(Payments, { key: 'o1', value: 'marker' })
    })
    const committed = await readUntil(brokers, [Orders.name, Payments.name], (r) => r.filter((x) => x.value === 'marker').length >= 2)
    expect(committed.map((r) => r.value)).toEqual(['marker', 'marker'])
    // The aborted records were written: a read_uncommitted reader sees them.
    const uncommitted = await readUntil(brokers, [Orders.name, Payments.name], (r) => r.length >= 4, { readUncommitted: true })
    expect(uncommitted.map((r) => r.value).sort()).toEqual(['aborted-order', 'aborted-payment', 'marker', 'marker'])
  })

  it('rejects invalid data without dooming the transaction, and sends nothing of the invalid call', async () => {
    const { Orders } = contracts()
    await kafka.admin().ensureTopics([Orders])
    const producer = kafka.producer({ transactionalId: uniqueName('txn') })
    await producer.transaction(async (tx) => {
      // @ts-expect-error: a number is not a string value
      const invalid = await tx.send(Orders, { key: 'k', value: 42 }).catch((error: unknown) => error)
      expect(isKafkitError(invalid) && invalid.code).toBe('KAFKIT_VALIDATION')
      await tx.send(Orders, { key: 'k', value: 'valid' })
    })
    const seen = await readUntil(brokers, [Orders.name], (r) => r.length >= 1)
    expect(seen.map((r) => r.value)).toEqual(['valid'])
  })

  it('runs concurrent transactions of one producer one after the other, and queues concurrent sends of one transaction', async () => {
    const { Orders, Payments } = contracts()
    await kafka.admin().ensureTopics([Orders, Payments])
    const producer = kafka.producer({ transactionalId: uniqueName('txn') })
    const order: string[] = []
    await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        producer.transaction(async (tx) => {
          order.push(`begin ${name}`)
          await Promise.all([tx.send(Orders, { key: name, value: `order-${name}` }), tx.send(Payments, { key: name, value: `payment-${name}` })])
          order.push(`end ${name}`)
        }),
      ),
    )
    expect(order).toEqual(['begin a', 'end a', 'begin b', 'end b', 'begin c', 'end c'])
    const seen = await readUntil(brokers, [Orders.name, Payments.name], (r) => r.length >= 6)
    expect(seen.map((r) => r.value).sort()).toEqual(['order-a', 'order-b', 'order-c', 'payment-a', 'payment-b', 'payment-c'])
  })

  it('refuses a send after the callback returned', async () => {
    const { Orders } = contracts()
    await kafka.admin().ensureTopics([Orders])
    const producer = kafka.producer({ transactionalId: uniqueName('txn') })
    let leaked: (() => Promise<unknown>) | undefined
    await producer.transaction(async (tx) => {
      leaked = () => tx.send(Orders, { key: 'k', value: 'late' })
    })
    await expect(leaked!()).rejects.toMatchObject({ code: 'KAFKIT_ABORTED' })
  })

  it('fences the older producer when another registers the same transactional id: its open transaction is aborted and it fails with KAFKIT_PRODUCER_FENCED', async () => {
    const { Orders } = contracts()
    await kafka.admin().ensureTopics([Orders])
    const transactionalId = uniqueName('txn-fence')
    const older = kafka.producer({ transactionalId })
    const fencedEvents = record(older, 'producer.txn.fenced')
    await older.connect()

    const newer = kafka.producer({ transactionalId })
    const attempt = older.transaction(async (tx) => {
      await tx.send(Orders, { key: 'k', value: 'from-older' })
      // The newer instance registers the id while this transaction is open.
      await newer.connect()
    })
    const error = await attempt.catch((e: unknown) => e)
    expect(isKafkitError(error) && error.code).toBe('KAFKIT_PRODUCER_FENCED')
    expect((error as Error).message).toContain(transactionalId)
    expect(fencedEvents).toHaveLength(1)
    // Fenced for good: no further attempt reaches the broker.
    await expect(older.transaction(async (tx) => void (await tx.send(Orders, { key: 'k', value: 'again' })))).rejects.toMatchObject({ code: 'KAFKIT_PRODUCER_FENCED' })

    await newer.transaction(async (tx) => {
      await tx.send(Orders, { key: 'k', value: 'from-newer' })
    })
    const seen = await readUntil(brokers, [Orders.name], (r) => r.some((x) => x.value === 'from-newer'))
    expect(seen.map((r) => r.value)).toEqual(['from-newer'])
  })
})
