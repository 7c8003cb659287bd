// The error of a topic the principal may not write, and the delivery path's use of it on a
// scripted Produce refusal (the real broker's refusals, Metadata and Produce, are in
// test/integration/producer-authorization.int.test.ts).
import kafkajs from 'kafkajs'
import { describe, expect, test } from 'vitest'
import { isKafkitError } from '../../../src/index.js'
import { groupAuthorizationError, isGroupAuthorizationFailure, isTopicAuthorizationFailure, topicAuthorizationError, topicReadAuthorizationError } from '../../../src/internal/transport/topic-authorization.js'
import { ok, scriptedCluster, scriptedDelivery } from './scripted-cluster.js'

const { KafkaJSProtocolError, KafkaJSNonRetriableError } = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>

describe('topicAuthorizationError', () => {
  test('is a non-retriable KAFKIT_AUTH that names the topic and the missing ACL, per refusing request', () => {
    const byMetadata = topicAuthorizationError(['orders'], 'metadata')
    expect(byMetadata).toMatchObject({ code: 'KAFKIT_AUTH', retriable: false, context: { topic: 'orders', kafkaError: 'TOPIC_AUTHORIZATION_FAILED', refusedBy: 'metadata' } })
    expect(byMetadata.message).toMatch(/^not authorized to write to topic 'orders' \(TOPIC_AUTHORIZATION_FAILED\): .*neither WRITE nor DESCRIBE/)
    expect(topicAuthorizationError(['orders'], 'produce').message).toMatch(/may describe the topic but lacks WRITE/)
    expect(topicAuthorizationError(['orders'], 'transaction').message).toMatch(/transaction coordinator .* lacks WRITE/)
    const several = topicAuthorizationError(['a', 'b'], 'transaction')
    expect(several.context).toMatchObject({ topics: ['a', 'b'] })
    expect(several.context.topic).toBeUndefined()
    expect(several.message).toContain("one or more of topics 'a', 'b'")
  })

  test('recognises the refusal under kafkajs wrappers, and nothing else', () => {
    const refusal = new KafkaJSProtocolError!({ message: 'Not authorized to access topics: [Topic authorization failed]', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false })
    expect(isTopicAuthorizationFailure(refusal)).toBe(true)
    expect(isTopicAuthorizationFailure(new KafkaJSNonRetriableError!(refusal, { cause: refusal }))).toBe(true)
    expect(isTopicAuthorizationFailure(new KafkaJSProtocolError!({ message: 'group', type: 'GROUP_AUTHORIZATION_FAILED', code: 30, retriable: false }))).toBe(false)
    expect(isTopicAuthorizationFailure(undefined)).toBe(false)
  })
})

describe('the refusals a group member meets (the real broker: test/integration/consumer-authorization.int.test.ts)', () => {
  test('a topic it may not read: KAFKIT_AUTH naming the topic, the group and READ, per refusing request', () => {
    const byMetadata = topicReadAuthorizationError(['orders'], 'metadata', 'billing')
    expect(byMetadata).toMatchObject({ code: 'KAFKIT_AUTH', retriable: false, context: { topic: 'orders', groupId: 'billing', kafkaError: 'TOPIC_AUTHORIZATION_FAILED', refusedBy: 'metadata' } })
    expect(byMetadata.message).toMatch(/^consumer group billing: not authorized to read topic 'orders' \(TOPIC_AUTHORIZATION_FAILED\): .*neither READ nor DESCRIBE.*--operation Read --topic orders/)
    expect(topicReadAuthorizationError(['orders'], 'fetch', 'billing').message).toMatch(/may describe the topic but lacks READ/)
    expect(topicReadAuthorizationError(['a', 'b'], 'fetch', 'billing').context).toMatchObject({ topics: ['a', 'b'], groupId: 'billing' })
  })

  test('a group it may not use: KAFKIT_AUTH naming the group and READ on it', () => {
    const error = groupAuthorizationError('billing')
    expect(error).toMatchObject({ code: 'KAFKIT_AUTH', retriable: false, context: { groupId: 'billing', kafkaError: 'GROUP_AUTHORIZATION_FAILED' } })
    expect(error.message).toMatch(/not authorized to use group 'billing' \(GROUP_AUTHORIZATION_FAILED\): .*lacks READ on it.*--operation Read --group billing/)
    const refusal = new KafkaJSProtocolError!({ message: 'Not authorized to access group: Group authorization failed', type: 'GROUP_AUTHORIZATION_FAILED', code: 30, retriable: false })
    expect(isGroupAuthorizationFailure(new KafkaJSNonRetriableError!(refusal, { cause: refusal }))).toBe(true)
    expect(isGroupAuthorizationFailure(new KafkaJSProtocolError!({ message: 'topic', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false }))).toBe(false)
  })
})

describe('Delivery, a Produce answer TOPIC_AUTHORIZATION_FAILED', () => {
  test('fails the records at once, KAFKIT_AUTH naming the topic and WRITE, not-written; another partition answered in the same request is written', async () => {
    const { cluster } = scriptedCluster(() => ({ 0: ok('7'), 1: { errorCode: 29, baseOffset: '-1' } }))
    const { d, identity } = scriptedDelivery(cluster, { deliveryTimeoutMs: 60_000 })
    await identity.renew(undefined)
    const settings = { acks: -1 as const, ackTimeoutMs: 100, compression: 0 }
    const error: unknown = await d
      .send(
        [
          { topic: 'open', messages: [{ key: null, value: Buffer.from('a'), partition: 0 }] },
          { topic: 'closed', messages: [{ key: null, value: Buffer.from('b'), partition: 1 }] },
        ],
        settings,
      )
      .catch((e: unknown) => e)
    expect(isKafkitError(error)).toBe(true)
    if (!isKafkitError(error)) return
    expect(error).toMatchObject({ code: 'KAFKIT_AUTH', retriable: false, context: { topic: 'closed', kafkaError: 'TOPIC_AUTHORIZATION_FAILED', outcome: 'partial' } })
    expect(error.message).toMatch(/topic 'closed'.*lacks WRITE/)
    expect(error.context.partitions).toEqual([
      { topic: 'open', partition: 0, records: 1, written: 1, notWritten: 0, unknown: 0, baseOffset: '7' },
      { topic: 'closed', partition: 1, records: 1, written: 0, notWritten: 1, unknown: 0 },
    ])
    await d.close()
  })
})
