// Which producer ids and epochs wrote a topic, read from the record batches themselves: a
// client-neutral way to see producer-id resets and epoch bumps, since no two of the four
// clients expose them alike (kafkajs and kafkit not at all). One producer instance wrote each
// bench topic, so every id after the first is a reset, and every further epoch of an id a bump.
import kafkajs from 'kafkajs'

/** Producer identities found in a topic's record batches. */
export interface ProducerIdentities {
  /** Distinct producer ids. */
  producerIds: number
  /** Distinct (producer id, epoch) pairs. */
  epochs: number
  /** Each pair as `id/epoch`, with how many records it wrote. */
  pairs: Record<string, number>
}

/**
 * Reads `topic` to its high watermarks and counts producer ids and epochs. kafkajs hands each
 * message its record batch header as `batchContext` (not in its typings, but on every fetched
 * message since 1.x); that header carries the producer id and epoch.
 */
export async function producerIdentities(brokers: string[], topic: string): Promise<ProducerIdentities> {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-failover-identities', brokers, logLevel: kafkajs.logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  let total = 0
  try {
    for (const { high, low } of await admin.fetchTopicOffsets(topic)) total += Number(high) - Number(low)
  } finally {
    await admin.disconnect()
  }
  const pairs: Record<string, number> = {}
  let seen = 0
  const consumer = kafka.consumer({ groupId: `bench-failover-identities-${process.pid}-${Date.now()}`, readUncommitted: true })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      if (total === 0) return resolve()
      const timer = setTimeout(() => reject(new Error(`identities of ${topic}: read ${seen} of ${total} records in 120 s`)), 120_000)
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const context = (message as unknown as { batchContext?: { producerId: string; producerEpoch: number } }).batchContext
            const pair = context === undefined ? 'unknown' : `${context.producerId}/${context.producerEpoch}`
            pairs[pair] = (pairs[pair] ?? 0) + 1
            seen++
          }
          if (seen >= total) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  const ids = new Set(Object.keys(pairs).map((pair) => pair.split('/')[0]))
  return { producerIds: ids.size, epochs: Object.keys(pairs).length, pairs }
}
