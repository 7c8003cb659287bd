import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Kafka, logLevel, type IHeaders } from 'kafkajs'
import { inject } from 'vitest'
import { uniqueName } from '@kafkit/testkit'

/** The shared cluster of this run (see test/global-setup.ts). */
export function cluster() {
  return inject('kafka')
}

function client(): Kafka {
  return new Kafka({ clientId: uniqueName('avro-int'), brokers: cluster().brokers, logLevel: logLevel.NOTHING })
}

/** Creates a one-partition topic with a unique name. */
export async function createTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix)
  const admin = client().admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true })
  } finally {
    await admin.disconnect()
  }
  return topic
}

/** Produces raw messages with plain kafkajs (acks=all). */
export async function produceRaw(topic: string, messages: { key?: Buffer | null; value: Buffer | null; headers?: IHeaders }[]): Promise<void> {
  const producer = client().producer({ allowAutoTopicCreation: false })
  await producer.connect()
  try {
    await producer.send({ topic, acks: -1, messages })
  } finally {
    await producer.disconnect()
  }
}

/** One consumed record, raw. */
export interface RawRecord {
  key: Buffer | null
  value: Buffer | null
  partition: number
  offset: string
}

/** Reads `count` records from the start of `topic` with plain kafkajs and a fresh group. */
export async function consumeRaw(topic: string, count: number, timeoutMs = 30_000): Promise<RawRecord[]> {
  const consumer = client().consumer({ groupId: uniqueName('avro-int-group') })
  const records: RawRecord[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${records.length} of ${count} records from ${topic} within ${timeoutMs} ms`)), timeoutMs)
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            records.push({ key: message.key, value: message.value, partition, offset: message.offset })
            if (records.length >= count) {
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
  return records
}

/** The end offset (high watermark) of partition 0: how many records the topic holds. */
export async function endOffset(topic: string): Promise<number> {
  const admin = client().admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    return Number(offsets.find((o) => o.partition === 0)?.high ?? -1)
  } finally {
    await admin.disconnect()
  }
}

/**
 * An HTTP front to the real registry at `upstream`, as a gateway or a failing load balancer
 * before it is: each request is first offered to `answer`, which answers it itself (and says
 * true) or leaves it to be passed through to the registry. Close `server` when done.
 */
export async function registryFront(upstream: string, answer: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<{ url: string; server: Server }> {
  const base = new URL(upstream)
  const server = createServer(async (req, res) => {
    if (answer(req, res)) return
    try {
      const passed = await fetch(`${base.origin}${req.url}`, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } })
      const body = Buffer.from(await passed.arrayBuffer())
      res.writeHead(passed.status, { 'content-type': passed.headers.get('content-type') ?? 'application/json', 'content-length': String(body.length) }).end(body)
    } catch {
      res.writeHead(502).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}${base.pathname}`, server }
}
