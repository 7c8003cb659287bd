import type { DeadLetterToolDeps } from '../../consumer/replay.js'
import { createDefaultPartitioner } from '../../partitioner.js'
import type { RecordSender } from '../../runtime/engine.js'
import { toWireMessage } from '../../runtime/records.js'
import { createConsumerDeps } from './group-consumer.js'
import type { KafkajsTransport } from './kafkajs.js'
import { streamTopic } from './topic-scan.js'
import type { TransportProducer, WireMessage } from './types.js'

/**
 * What `kafka.deadLetters(topic)` needs from one kafkajs client: streaming scans (bounded
 * buffering, see {@link streamTopic}), and the consumer runtime's idempotent acks=all
 * producer and admin for replays and the ledger. They connect on first use and close on `release()`.
 * A replay with a `timeoutMs` sends through a producer of its own whose delivery timeout is that
 * bound, so a send to a target gone away fails then, not after the default 120 s.
 */
export function createDeadLetterDeps(transport: KafkajsTransport): DeadLetterToolDeps {
  const shared = createConsumerDeps(transport)
  const bounded = new Map<number, { producer: TransportProducer; sender: RecordSender; ready?: Promise<void> }>()
  return {
    stream: (topic, options) => streamTopic(transport.engine, topic, options),
    sender: shared.sender,
    topics: shared.topics,
    senderWithin(deliveryTimeoutMs) {
      let entry = bounded.get(deliveryTimeoutMs)
      if (entry === undefined) {
        // The same settings as the shared producer (createConsumerDeps), but the delivery timeout.
        const producer = transport.producer({ idempotent: true, allowAutoTopicCreation: false, maxInFlightRequests: 1, partitioner: createDefaultPartitioner(), deliveryTimeoutMs })
        const created: { producer: TransportProducer; sender: RecordSender; ready?: Promise<void> } = {
          producer,
          sender: {
            async send(records) {
              try {
                await (created.ready ??= producer.connect())
              } catch (error) {
                delete created.ready
                throw error
              }
              const byTopic = new Map<string, WireMessage[]>()
              for (const r of records) {
                const list = byTopic.get(r.topic) ?? []
                list.push(toWireMessage(r))
                byTopic.set(r.topic, list)
              }
              await producer.send([...byTopic].map(([topic, messages]) => ({ topic, messages })), { acks: -1, compression: 'none', timeoutMs: Math.min(30_000, deliveryTimeoutMs) })
            },
          },
        }
        bounded.set(deliveryTimeoutMs, (entry = created))
      }
      return entry.sender
    },
    release: async () => {
      await Promise.allSettled([shared.release?.(), ...[...bounded.values()].map((entry) => entry.ready && entry.producer.disconnect())])
      bounded.clear()
    },
  }
}
