import type { PipelineDeps } from '../../pipeline/engine.js'
import { toKafkitError } from './errors.js'
import { createConsumerDeps, createGroupConsumer } from './group-consumer.js'
import type { KafkajsTransport } from './kafkajs.js'
import { createTransactionalProducer } from './transactions.js'

/** Everything a pipeline needs from one kafkajs client. */
export function createPipelineDeps(transport: KafkajsTransport): PipelineDeps {
  const shared = createConsumerDeps(transport)
  return {
    // The consumer runtime's group consumer, with offsets committed only in the pipeline's transactions.
    createEngine: (config) => createGroupConsumer(transport.engine, config, 'transactions'),
    createProducer: (options) => createTransactionalProducer(transport, options),
    committedOffset: async (groupId, topic, partition) => {
      const admin = transport.engine.admin()
      try {
        await admin.connect()
        const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
        const offset = entry?.partitions.find((p) => p.partition === partition)?.offset
        return offset === undefined || BigInt(offset) < 0n ? undefined : BigInt(offset)
      } catch (error) {
        throw toKafkitError(error, { groupId, topic, partition }, 'fetch committed offsets')
      } finally {
        await admin.disconnect().catch(() => {})
      }
    },
    topics: shared.topics,
    release: async () => {
      await shared.release?.()
    },
  }
}
