import type { DeadLetterToolDeps } from '../../consumer/replay.js'
import { createConsumerDeps, recordWriter } from './group-consumer.js'
import type { KafkajsTransport } from './kafkajs.js'
import { streamTopic } from './topic-scan.js'

/**
 * What `kafka.deadLetters(topic)` needs from one kafkajs client: streaming scans (bounded
 * buffering, see {@link streamTopic}), and the consumer runtime's idempotent acks=all
 * producer and admin for replays and the ledger. They connect on first use and close on `release()`.
 * A replay with a `timeoutMs` sends through a producer of its own whose delivery timeout is that
 * bound, so a send to a target gone away fails then, not after the default 120 s.
 */
export function createDeadLetterDeps(transport: KafkajsTransport): DeadLetterToolDeps {
  const shared = createConsumerDeps(transport)
  const bounded = new Map<number, ReturnType<typeof recordWriter>>()
  return {
    stream: (topic, options) => streamTopic(transport.engine, topic, options),
    sender: shared.sender,
    topics: shared.topics,
    senderWithin(deliveryTimeoutMs) {
      // The same writer as the shared one (createConsumerDeps), but with this delivery timeout.
      let writer = bounded.get(deliveryTimeoutMs)
      if (writer === undefined) bounded.set(deliveryTimeoutMs, (writer = recordWriter(transport, deliveryTimeoutMs)))
      return writer.sender
    },
    release: async () => {
      await Promise.allSettled([shared.release?.(), ...[...bounded.values()].map((writer) => writer.release())])
      bounded.clear()
    },
  }
}
