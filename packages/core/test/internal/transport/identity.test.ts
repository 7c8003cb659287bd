// An idempotent producer's id, and what a refusal of it says (the real broker's refusal:
// test/integration/consumer-dead-letter-authorization.int.test.ts).
import kafkajs from 'kafkajs'
import { describe, expect, test } from 'vitest'
import { isKafkitError } from '../../../src/index.js'
import type { EngineEosManager } from '../../../src/internal/transport/engine-internals.js'
import { IdempotentIdentity } from '../../../src/internal/transport/identity.js'

const { KafkaJSProtocolError, KafkaJSNonRetriableError } = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>

/** A transaction manager whose InitProducerId fails with `error` while `failing()` says so, then grants id 7. */
function manager(error: Error, failing: () => boolean): EngineEosManager {
  return {
    initProducerId: async () => {
      if (failing()) throw error
    },
    getProducerId: () => 7,
    getProducerEpoch: () => 0,
  } as unknown as EngineEosManager
}

describe('IdempotentIdentity', () => {
  test('a producer id the cluster refuses (CLUSTER_AUTHORIZATION_FAILED) is KAFKIT_AUTH naming the ACL that would do, reason authorization; a later renew gets one', async () => {
    const refusal = new KafkaJSProtocolError!({ message: 'Cluster authorization failed', type: 'CLUSTER_AUTHORIZATION_FAILED', code: 31, retriable: false })
    let refusing = true
    const identity = new IdempotentIdentity(() => manager(new KafkaJSNonRetriableError!(refusal, { cause: refusal }), () => refusing))
    const error = await identity.renew(undefined).catch((e: unknown) => e)
    expect(isKafkitError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'KAFKIT_AUTH', retriable: false, context: { kafkaError: 'CLUSTER_AUTHORIZATION_FAILED', reason: 'authorization' } })
    expect((error as Error).message).toMatch(/^not authorized to get a producer id \(CLUSTER_AUTHORIZATION_FAILED\): .*WRITE on some topic or IDEMPOTENT_WRITE on the cluster/)
    expect(identity.current()).toBeUndefined()
    refusing = false
    await identity.renew(undefined)
    expect(identity.current()).toEqual({ producerId: 7, epoch: 0 })
  })

  test('any other failure of the request is passed on as it is', async () => {
    const timeout = new Error('Request timed out')
    const identity = new IdempotentIdentity(() => manager(timeout, () => true))
    await expect(identity.renew(undefined)).rejects.toBe(timeout)
  })
})
