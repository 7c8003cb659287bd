// Plain kafkajs helpers for the core integration tests: they read what kafkit wrote
// without going through kafkit, so a bug in kafkit cannot hide itself. Not a test file.
import { uniqueName, waitFor } from '@kafkit/testkit'
import kafkajs, { type IHeaders } from 'kafkajs'

/** A record as plain kafkajs reads it. */
export interface ReadRecord {
  partition: number
  offset: string
  key: Buffer | null
  value: Buffer | null
  headers: IHeaders
}

export function plainClient(brokers: string[]) {
  return new kafkajs.Kafka({ clientId: 'kafkit-core-test-reader', brokers, logLevel: kafkajs.logLevel.NOTHING })
}

/** High watermarks summed over partitions: how many records a topic ever got. */
export async function recordCount(brokers: string[], topic: string): Promise<number> {
  const admin = plainClient(brokers).admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0)
  } finally {
    await admin.disconnect()
  }
}

/** Reads a topic from the beginning until `expected` records arrived (then a moment more to catch extras). */
export async function readTopic(brokers: string[], topic: string, expected: number): Promise<ReadRecord[]> {
  const consumer = plainClient(brokers).consumer({ groupId: uniqueName('reader'), sessionTimeout: 10_000, heartbeatInterval: 500 })
  const records: ReadRecord[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({ partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers ?? {} })
      },
    })
    await waitFor(() => records.length >= expected, { timeoutMs: 60_000, message: `${expected} records on ${topic}` })
  } finally {
    await consumer.disconnect()
  }
  return records
}
