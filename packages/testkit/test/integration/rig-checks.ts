import { readFileSync, readdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { type KafkaCluster, uniqueName } from '@kafkit/testkit'

/** Produces `count` messages to a new topic and reads them back through a consumer group. */
export async function produceAndConsume(brokers: string[], count: number): Promise<string[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING })
  const topic = uniqueName('rig')
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `m${i}` })) })
  await producer.disconnect()
  return consumeValues(kafka, topic, count)
}

/** Reads `count` values of `topic` from the beginning with a new consumer group. */
export async function consumeValues(kafka: Kafka, topic: string, count: number, timeoutMs = 90_000): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('rig-group'), retry: { retries: 15, maxRetryTime: 5000 } })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const values: string[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${values.length} of ${count} messages in ${timeoutMs} ms`)), timeoutMs)
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString() ?? '')
            if (values.length === count) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return values
}

/** What {@link crashAndRejoin} saw, for the test to check. */
export interface CrashObservations {
  /** Messages written with acks=all while broker 1 was down (30 sent). */
  writtenWhileDown: number
  /** Broker ids in the metadata after broker 1 restarted. */
  brokersAfterRestart: number[]
  /** The port broker 1 advertises after its restart. */
  restartedPort: number | undefined
  /** Messages a client that knows only broker 1 reads after its restart (31 written). */
  readViaRestarted: number
}

/**
 * On a 3-broker cluster: a replication-factor-3 topic with min.insync.replicas=2, broker 1
 * crashed, 30 messages written with acks=all, broker 1 restarted, one more written, then
 * everything read back through a client that knows only the restarted broker.
 */
export async function crashAndRejoin(cluster: KafkaCluster): Promise<CrashObservations> {
  const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING, retry: { retries: 15, maxRetryTime: 5000 } })
  const admin = kafka.admin()
  await admin.connect()
  const topic = uniqueName('rf3')
  await admin.createTopics({
    topics: [{ topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
    waitForLeaders: true,
  })
  await admin.disconnect()

  await cluster.stopBroker(1)
  // A client started after the crash bootstraps from the live brokers.
  const survivors = new Kafka({ brokers: [cluster.brokers[0], cluster.brokers[2]] as string[], logLevel: logLevel.NOTHING, retry: { retries: 15, maxRetryTime: 5000 } })
  const producer = survivors.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 15, maxRetryTime: 5000 } })
  await producer.connect()
  // acks=all with min.insync.replicas=2 succeeds only because two replicas still serve.
  await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) })
  const survivorAdmin = survivors.admin()
  await survivorAdmin.connect()
  const offsets = await survivorAdmin.fetchTopicOffsets(topic)
  const writtenWhileDown = offsets.reduce((sum, partition) => sum + Number(partition.high), 0)

  await cluster.startBroker(1)
  const described = await survivorAdmin.describeCluster()
  await survivorAdmin.disconnect()
  await producer.send({ topic, acks: -1, messages: [{ key: 'after', value: 'rejoined' }] })
  await producer.disconnect()

  // Generous retries: the group coordinator may be loading its partition right after the rejoin.
  const viaRestarted = new Kafka({ brokers: [cluster.brokers[1] as string], logLevel: logLevel.NOTHING, retry: { retries: 15, maxRetryTime: 5000 } })
  const read = await consumeValues(viaRestarted, topic, 31).catch((error: unknown) => {
    // One more try if the coordinator was still loading when the consumer gave up.
    if ((error as { retriable?: boolean }).retriable) return consumeValues(viaRestarted, topic, 31)
    throw error
  })
  return {
    writtenWhileDown,
    brokersAfterRestart: described.brokers.map((broker) => broker.nodeId).sort(),
    restartedPort: described.brokers.find((broker) => broker.nodeId === 1)?.port,
    readViaRestarted: read.length,
  }
}

/** Pids of the JVM processes of `cluster` (found by the `-Dkafkit.cluster=` mark on their command line). */
export function clusterPids(cluster: KafkaCluster): number[] {
  const root = dirname(cluster.logDir)
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`-Dkafkit.cluster=${root}`)
      } catch {
        return false
      }
    })
    .map(Number)
}

/**
 * Registers a schema under a new subject through the Confluent API and reads it back by id.
 * @returns the registered and the returned schema, parsed, for the caller to compare
 */
export async function registerAndFetchSchema(registryUrl: string, recordName: string): Promise<{ id: number; registered: unknown; returned: unknown }> {
  const schema = JSON.stringify({ type: 'record', name: recordName, fields: [{ name: 'id', type: 'string' }] })
  const subject = `${uniqueName('rig')}-value`
  const posted = await fetch(`${registryUrl}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema }),
  })
  if (posted.status !== 200) throw new Error(`registering ${subject} answered HTTP ${posted.status}: ${await posted.text()}`)
  const { id } = (await posted.json()) as { id: number }
  const fetched = await fetch(`${registryUrl}/schemas/ids/${id}`)
  if (fetched.status !== 200) throw new Error(`GET /schemas/ids/${id} answered HTTP ${fetched.status}`)
  const returned = JSON.parse(((await fetched.json()) as { schema: string }).schema) as unknown
  return { id, registered: JSON.parse(schema) as unknown, returned }
}
