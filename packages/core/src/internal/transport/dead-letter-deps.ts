import type { DeadLetterToolDeps } from '../../consumer/replay.js'
import { createConsumerDeps } from './group-consumer.js'
import type { KafkajsTransport } from './kafkajs.js'
import { streamTopic } from './topic-scan.js'
import { createTransactionalProducer } from './transactions.js'

/**
 * What `kafka.deadLetters(topic)` needs from one kafkajs client: streaming scans (bounded
 * buffering, read_committed, see {@link streamTopic}), the consumer runtime's admin for the
 * ledger topic, and a transactional producer per replay (its writes and ledger entries in
 * one transaction). Scans and admin connect on first use and close on `release()`; a replay
 * disconnects its producer when it ends.
 */
export function createDeadLetterDeps(transport: KafkajsTransport): DeadLetterToolDeps {
  const shared = createConsumerDeps(transport)
  return {
    stream: (topic, options) => streamTopic(transport.engine, topic, options),
    transactional: (options) => createTransactionalProducer(transport, options),
    topics: shared.topics,
    release: async () => {
      await shared.release?.()
    },
  }
}
