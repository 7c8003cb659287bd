// Contract: registering a transactional id waits while the coordinator answers CONCURRENT_TRANSACTIONS (the previous holder's commit is still being completed: the leader of one of its partitions does not answer, so its markers cannot be written) for longer than kafkajs' own retries do, within the producer's budget, and the producer works once the markers are written; the previous holder's commit is then visible.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type KafkaCluster, startKafka, uniqueName } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineTopic, Kafkit, string } from '../../src/index.js'
import { readUntil } from './transaction-helpers.js'

const TXN_PARTITIONS = 10
let cluster: KafkaCluster
let kafka: Kafkit
const held = uniqueName('register-wait-held')
const written = uniqueName('register-wait-out')
const clients: { disconnect(): Promise<void> }[] = []

let stoppedPid: number | undefined
function pause(pid: number): void {
  process.kill(pid, 'SIGSTOP')
  stoppedPid = pid
}
function resume(): void {
  if (stoppedPid !== undefined) process.kill(stoppedPid, 'SIGCONT')
  stoppedPid = undefined
}

/** The pid of broker `index`'s JVM: its command line carries the cluster's mark, Kafka's main class and its own config file. */
function brokerPidOf(c: KafkaCluster, index: number): number {
  const root = dirname(c.logDir)
  const mark = `-Dkafkit.cluster=${root}`
  const config = join(root, `broker-${index}.properties`)
  const pids = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
        return args.includes(mark) && args.includes('kafka.Kafka') && args.includes(config)
      } catch {
        return false
      }
    })
  expect(pids).toHaveLength(1)
  return Number(pids[0])
}

/** The `__transaction_state` partition of an id, as the broker computes it (Java's String.hashCode, Utils.abs). */
function transactionPartitionOf(transactionalId: string): number {
  let hash = 0
  for (let i = 0; i < transactionalId.length; i++) hash = (Math.imul(hash, 31) + transactionalId.charCodeAt(i)) | 0
  return (hash === -2147483648 ? 0 : Math.abs(hash)) % TXN_PARTITIONS
}

/** A kafkajs client that knows only broker 0 to begin with; short requests: kafkajs looks for the coordinator by asking the brokers in random order, and one asked while stopped gives way quickly. */
function rawClient(name: string): InstanceType<typeof kafkajs.Kafka> {
  return new kafkajs.Kafka({ clientId: `kafkit-register-wait-${name}`, brokers: [cluster.brokers[0]!], logLevel: kafkajs.logLevel.NOTHING, requestTimeout: 1_000 })
}

beforeAll(async () => {
  // One replica per transaction-state partition: a coordinator on broker 0 keeps working while broker 1 is stopped.
  cluster = await startKafka({
    backend: 'jvm',
    brokers: 3,
    brokerConfig: {
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'transaction.state.log.num.partitions': String(TXN_PARTITIONS),
      // Broker 1 stays registered (and the leader of its partition) while stopped: kafkajs fails every metadata
      // request for all topics while a partition has no leader. 40 s: the most ZooKeeper grants at its 2 s tick.
      'zookeeper.session.timeout.ms': '40000',
    },
    log: () => {},
  })
  const admin = rawClient('admin').admin()
  clients.push(admin)
  await admin.connect()
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      // The previous holder's partition: its only replica on broker 1.
      { topic: held, replicaAssignment: [{ partition: 0, replicas: [1] }] },
      { topic: written, replicaAssignment: [{ partition: 0, replicas: [0] }] },
    ],
  })
  // A first registration creates __transaction_state.
  const warmUp = rawClient('warm-up').producer({ transactionalId: uniqueName('register-wait-warm-up'), idempotent: true, maxInFlightRequests: 1 })
  clients.push(warmUp)
  await warmUp.connect()
  await (await warmUp.transaction()).abort()
  // Short requests here too: kafkajs looks for the coordinator by asking the brokers in random order, broker 1 among them.
  kafka = new Kafkit({ clientId: 'kafkit-register-wait-test', brokers: [cluster.brokers[0]!], requestTimeoutMs: 1_000, logLevel: 'nothing' })
}, 180_000)

afterAll(async () => {
  // A stopped JVM would not take the SIGTERM of the cluster's stop.
  resume()
  await kafka?.close()
  await Promise.allSettled(clients.map((c) => c.disconnect()))
  await cluster?.stop()
}, 120_000)

describe('registering a transactional id while the previous holder’s commit is being completed', () => {
  it('waits past kafkajs’ retries while the coordinator answers CONCURRENT_TRANSACTIONS, then registers and commits', async () => {
    const admin = rawClient('metadata').admin()
    clients.push(admin)
    await admin.connect()
    const { topics } = await admin.fetchTopicMetadata({ topics: ['__transaction_state'] })
    const leaders = new Map(topics[0]!.partitions.map((p) => [p.partitionId, p.leader]))
    expect(leaders.size).toBe(TXN_PARTITIONS)
    // An id whose coordinator is broker 0 (the partition's only replica; were it broker 1, the commit below could not succeed).
    let registered: ReturnType<Kafkit['producer']> | undefined
    let transactionalId = uniqueName('register-wait')
    while (leaders.get(transactionPartitionOf(transactionalId)) !== 0) transactionalId = uniqueName('register-wait')

    const holder = rawClient('holder').producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
    // Connected before the stop: an idempotent kafkajs producer's connect asks the controller, which may be broker 1.
    const probe = rawClient('probe').producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
    clients.push(holder, probe)
    await Promise.all([holder.connect(), probe.connect()])
    const txn = await holder.transaction()
    await txn.send({ topic: held, acks: -1, messages: [{ key: 'k', value: 'from the previous holder' }] })
    // Acknowledged: now broker 1 stops, so the commit's markers cannot reach the partition.
    pause(brokerPidOf(cluster, 1))
    // EndTxn goes to the coordinator (broker 0), which answers once it logged PrepareCommit.
    await txn.commit()

    // Broker 1 answers again 30 s later: past kafkajs' retries of InitProducerId, which ignore the client's retry
    // options (about 9 s; under vitest, where NODE_ENV is test, 15 retries of up to 1 s, plus a request timeout for
    // each time it asks the stopped broker for the coordinator), and within kafkit's budget (60 s by default).
    let resumed = false
    const timer = setTimeout(() => {
      resume()
      resumed = true
    }, 30_000)
    try {
      // kafkajs alone gives up while broker 1 is stopped: the coordinator keeps answering CONCURRENT_TRANSACTIONS.
      const probing = probe.transaction().then(
        () => ({ error: undefined, stopped: !resumed }),
        (error: unknown) => ({ error: error as { name?: string; cause?: { type?: string } }, stopped: !resumed }),
      )
      // kafkit registers the same id meanwhile.
      const producer = kafka.producer({ transactionalId })
      await producer.connect()
      const registeredAfterResume = resumed
      const refused = await probing
      expect(refused.error?.name).toBe('KafkaJSNumberOfRetriesExceeded')
      expect(refused.error?.cause?.type).toBe('CONCURRENT_TRANSACTIONS')
      expect(refused.stopped).toBe(true)
      // It registered only once the markers could be written, so only after broker 1 was back.
      expect(registeredAfterResume).toBe(true)
      registered = producer
    } finally {
      clearTimeout(timer)
      resume()
    }
    const producer = registered!

    const Written = defineTopic({ name: written, key: string(), value: string(), partitions: 1, replicationFactor: 1 })
    await producer.transaction(async (tx) => {
      await tx.send(Written, { key: 'k', value: 'from kafkit' })
    })
    const seen = await readUntil(cluster.brokers, [held, written], (records) => records.length >= 2)
    expect(seen.map((r) => `${r.topic}:${r.value}`).sort()).toEqual([`${held}:from the previous holder`, `${written}:from kafkit`].sort())
    await producer.disconnect()
  }, 180_000)
})
