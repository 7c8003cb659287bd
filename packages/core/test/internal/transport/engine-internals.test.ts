import kafkajs from 'kafkajs'
import { describe, expect, test } from 'vitest'
import { assertEngineInternals, createCluster, protocolError } from '../../../src/internal/transport/engine-internals.js'

// kafkit's delivery path stands on kafkajs 2.2.4 internals; this fails the build on any other version.
describe('kafkajs internals used by the delivery path', () => {
  test('are where the delivery path expects them (kafkajs is pinned to exactly 2.2.4)', async () => {
    const { default: manifest } = await import('kafkajs/package.json', { with: { type: 'json' } })
    expect(manifest.version).toBe('2.2.4')
    const client = new kafkajs.Kafka({ clientId: 'internals', brokers: ['127.0.0.1:1'], logLevel: kafkajs.logLevel.NOTHING })
    expect(() => assertEngineInternals(client)).not.toThrow()
    const cluster = createCluster(client, { allowAutoTopicCreation: false })
    expect(cluster.isConnected()).toBe(false)
  })

  test('know the produce errors the delivery path acts on, with the retriable verdicts it relies on', () => {
    expect(protocolError(45)).toMatchObject({ type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' })
    expect(protocolError(46)).toMatchObject({ type: 'DUPLICATE_SEQUENCE_NUMBER' })
    expect(protocolError(47)).toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' })
    expect(protocolError(59)).toMatchObject({ type: 'UNKNOWN_PRODUCER_ID' })
    for (const code of [6, 7, 19, 20, 5]) expect(protocolError(code).retriable).toBe(true)
    expect(protocolError(10)).toMatchObject({ type: 'MESSAGE_TOO_LARGE', retriable: false })
    expect(protocolError(9999)).toMatchObject({ type: 'UNKNOWN', retriable: false })
  })
})
