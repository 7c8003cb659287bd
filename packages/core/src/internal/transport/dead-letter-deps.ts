import type { DeadLetterToolDeps } from '../../consumer/replay.js'
import { createConsumerDeps } from './group-consumer.js'
import type { KafkajsTransport } from './kafkajs.js'
import { streamTopic } from './topic-scan.js'

/**
 * What `kafka.deadLetters(topic)` needs from one kafkajs client: streaming scans (bounded
 * buffering, see {@link streamTopic}), and the consumer runtime's idempotent acks=all
 * producer and admin for replays and the ledger. They connect on first use and close on `release()`.
 */
export function createDeadLetterDeps(transport: KafkajsTransport): DeadLetterToolDeps {
  const shared = createConsumerDeps(transport)
  return {
    stream: (topic, options) => streamTopic(transport.engine, topic, options),
    sender: shared.sender,
    topics: shared.topics,
    release: async () => {
      await shared.release?.()
    },
  }
}
