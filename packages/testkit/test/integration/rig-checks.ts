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

  const consumer = kafka.consumer({ groupId: uniqueName('rig-group') })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const values: string[] = []
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${values.length} of ${count} messages in 60 s`)), 60_000)
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
  await consumer.disconnect()
  return values
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
