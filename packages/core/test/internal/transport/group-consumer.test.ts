import { describe, expect, it } from 'vitest'
import { createConsumerDeps } from '../../../src/internal/transport/group-consumer.js'
import type { KafkajsTransport } from '../../../src/internal/transport/kafkajs.js'
import type { TransportProducerOptions } from '../../../src/internal/transport/types.js'

// The retry/dead-letter producer a consumer gets from its transport.

describe('createConsumerDeps', () => {
  it('asks for an idempotent producer with one request in flight (kafkajs keeps sequences right only then)', () => {
    const asked: TransportProducerOptions[] = []
    const transport = {
      producer: (options: TransportProducerOptions) => (asked.push(options), { connect: async () => {}, disconnect: async () => {}, send: async () => [] }),
      admin: () => ({}),
    } as unknown as KafkajsTransport
    createConsumerDeps(transport)
    expect(asked).toMatchObject([{ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }])
  })
})
