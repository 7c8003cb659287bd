// Contract: a send to a topic the client's principal may not write fails at once, not at its delivery timeout: a non-retriable KAFKIT_AUTH naming the topic and the missing ACL, `not-written`, whether the Metadata request refuses the topic (no DESCRIBE) or the Produce request does (DESCRIBE, no WRITE); the same producer's other topics keep flowing; a sendBatch beside an authorized topic and a transaction fail the same way; records already queued when the ACL goes fail at the refusal too.
import { type KafkaCluster, rejectionOf, startKafka, uniqueName, waitFor } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { defineTopic, Kafkit, type KafkitError, string } from '../../src/index.js'
import { type AclAdmin, type AclBroker, AUTHORIZER, aclAdmin, principalOf, startAclBroker } from './acl-broker.js'
import { ApiKey, type KafkaProxy, proxyBroker } from './kafka-proxy.js'
import { readTopic, recordCount } from './read-topic.js'
import { readCommitted } from './transaction-helpers.js'

const { AclResourceTypes, AclOperationTypes, ResourcePatternTypes } = kafkajs
const ALICE = { username: 'alice', password: 'alice-Pa55-w0rd-4e1b' }
const ALICE_PRINCIPAL = principalOf(ALICE)
const SOMEONE_ELSE = 'User:someone-else'
// Long enough that a send waiting it out outlasts the test's own timeout (60 s): a send that
// is not refused at once makes the test fail, not pass late.
const DELIVERY_TIMEOUT_MS = 90_000
const TEST_TIMEOUT_MS = 60_000

/** The plaintext listener of the cluster of the running block (its principal, ANONYMOUS, sets up topics and ACLs), and that set-up. */
let plain: string[] = []
let setUp: AclAdmin
const allow: AclAdmin['allow'] = (...args) => setUp.allow(...args)
const disallowTopic: AclAdmin['disallowTopic'] = (...args) => setUp.disallowTopic(...args)

const Topic = (prefix: string) => defineTopic({ name: uniqueName(prefix), value: string(), partitions: 2, replicationFactor: 1 })

/** Creates the topics through the plaintext listener (alice may create none). */
const create = (...topics: ReturnType<typeof Topic>[]): Promise<void> => setUp.create(...topics)

/** A topic alice may write (and so describe). */
async function writable(prefix: string) {
  const topic = Topic(prefix)
  await create(topic)
  await allow(ALICE_PRINCIPAL, AclResourceTypes.TOPIC, topic.name, [AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE])
  return topic
}

function expectRefused(error: KafkitError, topic: string, missing: RegExp) {
  expect(error.code).toBe('KAFKIT_AUTH')
  expect(error.retriable).toBe(false)
  expect(error.context.reason).not.toBe('delivery-timeout')
  expect(error.context.kafkaError).toBe('TOPIC_AUTHORIZATION_FAILED')
  expect(error.message).toContain(`'${topic}'`)
  expect(error.message).toMatch(missing)
}

describe('as a SASL user with ACLs of her own', { timeout: TEST_TIMEOUT_MS }, () => {
  let broker: AclBroker
  /** A client authenticated as alice over SASL_SSL, configured from the environment as a service would be. */
  const alice = (): Kafkit => broker.client(ALICE)

  beforeAll(async () => {
    broker = await startAclBroker([ALICE])
    plain = broker.plain
    setUp = broker
    // Alice's transactional ids.
    await allow(ALICE_PRINCIPAL, AclResourceTypes.TRANSACTIONAL_ID, 'authz-', [AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE], ResourcePatternTypes.PREFIXED)
  }, 240_000)

  afterAll(async () => {
    await broker?.stop()
  })

  describe('producer', () => {
    test('a send to a topic alice may not describe fails at once, KAFKIT_AUTH naming it; her sends to a topic she may write are written before and after', async () => {
      const Allowed = await writable('authz-allowed')
      const Refused = Topic('authz-refused')
      await create(Refused)
      const producer = alice().producer({ ackTimeoutMs: 5_000, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS })
      await producer.send(Allowed, { value: 'before' })
      const error = await rejectionOf<KafkitError>(producer.send(Refused, { value: 'never' }))
      expectRefused(error, Refused.name, /neither WRITE nor DESCRIBE/)
      expect(error.context.topic).toBe(Refused.name)
      expect(error.context.outcome).toBe('not-written')
      await producer.send(Allowed, { value: 'after' })
      expect((await readTopic(plain, Allowed.name, 2)).map((r) => r.value?.toString()).sort()).toEqual(['after', 'before'])
      expect(await recordCount(plain, Refused.name)).toBe(0)
    })

    test('a send to a topic alice may describe but not write fails at once (the Produce refusal), KAFKIT_AUTH naming it and WRITE', async () => {
      const Allowed = await writable('authz-allowed')
      const ReadOnly = Topic('authz-describe-only')
      await create(ReadOnly)
      await allow(ALICE_PRINCIPAL, AclResourceTypes.TOPIC, ReadOnly.name, [AclOperationTypes.DESCRIBE])
      const producer = alice().producer({ ackTimeoutMs: 5_000, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS })
      const error = await rejectionOf<KafkitError>(producer.send(ReadOnly, [{ value: 'a' }, { value: 'b' }]))
      expectRefused(error, ReadOnly.name, /may describe the topic but lacks WRITE/)
      expect(error.context.topic).toBe(ReadOnly.name)
      expect(error.context.outcome).toBe('not-written')
      await producer.send(Allowed, { value: 'after' })
      expect(await recordCount(plain, Allowed.name)).toBe(1)
      expect(await recordCount(plain, ReadOnly.name)).toBe(0)
    })

    test('a sendBatch over a topic alice may write and one she may not describe writes nothing and names the refused topic', async () => {
      const Allowed = await writable('authz-allowed')
      const Refused = Topic('authz-refused')
      await create(Refused)
      const producer = alice().producer({ ackTimeoutMs: 5_000, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS })
      const error = await rejectionOf<KafkitError>(
        producer.sendBatch([
          { topic: Allowed, messages: [{ value: 'a' }] },
          { topic: Refused, messages: [{ value: 'b' }] },
        ]),
      )
      expectRefused(error, Refused.name, /neither WRITE nor DESCRIBE/)
      expect(error.context.topic).toBe(Refused.name)
      expect(error.context.outcome).toBe('not-written')
      expect(error.message).not.toContain(`'${Allowed.name}'`)
      expect(await recordCount(plain, Allowed.name)).toBe(0)
      await producer.send(Allowed, { value: 'after' })
      expect(await recordCount(plain, Allowed.name)).toBe(1)
    })

    test('a sendBatch over a topic alice may write and one she may only describe fails partial: the first written, the second not, named', async () => {
      const Allowed = await writable('authz-allowed')
      const ReadOnly = Topic('authz-describe-only')
      await create(ReadOnly)
      await allow(ALICE_PRINCIPAL, AclResourceTypes.TOPIC, ReadOnly.name, [AclOperationTypes.DESCRIBE])
      const producer = alice().producer({ ackTimeoutMs: 5_000, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS, partitioner: () => 0 })
      const error = await rejectionOf<KafkitError>(
        producer.sendBatch([
          { topic: Allowed, messages: [{ value: 'a' }] },
          { topic: ReadOnly, messages: [{ value: 'b' }] },
        ]),
      )
      expectRefused(error, ReadOnly.name, /may describe the topic but lacks WRITE/)
      expect(error.context.outcome).toBe('partial')
      expect(error.context.partitions).toEqual([
        { topic: Allowed.name, partition: 0, records: 1, written: 1, notWritten: 0, unknown: 0, baseOffset: '0' },
        { topic: ReadOnly.name, partition: 0, records: 1, written: 0, notWritten: 1, unknown: 0 },
      ])
      expect(await recordCount(plain, Allowed.name)).toBe(1)
      expect(await recordCount(plain, ReadOnly.name)).toBe(0)
    })
  })

  describe('transactional producer', () => {
    test('a transaction that sends to a topic alice may not describe fails KAFKIT_AUTH naming it and commits nothing; the next one commits', async () => {
      const Allowed = await writable('authz-allowed')
      const Refused = Topic('authz-refused')
      await create(Refused)
      const producer = alice().producer({ transactionalId: uniqueName('authz-txn'), ackTimeoutMs: 5_000, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS })
      const error = await rejectionOf<KafkitError>(
        producer.transaction(async (tx) => {
          await tx.send(Allowed, { value: 'aborted' })
          await tx.send(Refused, { value: 'never' })
        }),
      )
      expectRefused(error, Refused.name, /neither WRITE nor DESCRIBE/)
      expect(error.context.topic).toBe(Refused.name)
      await producer.transaction(async (tx) => {
        await tx.send(Allowed, { value: 'committed' })
      })
      expect((await readCommitted(plain, Allowed.name)).map((r) => r.value)).toEqual(['committed'])
    })

    test('a transaction that sends to a topic alice may only describe fails KAFKIT_AUTH naming it and commits nothing', async () => {
      const Allowed = await writable('authz-allowed')
      const ReadOnly = Topic('authz-describe-only')
      await create(ReadOnly)
      await allow(ALICE_PRINCIPAL, AclResourceTypes.TOPIC, ReadOnly.name, [AclOperationTypes.DESCRIBE])
      const producer = alice().producer({ transactionalId: uniqueName('authz-txn'), ackTimeoutMs: 5_000, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS })
      const error = await rejectionOf<KafkitError>(
        producer.transaction(async (tx) => {
          await tx.send(Allowed, { value: 'aborted' })
          await tx.send(ReadOnly, { value: 'never' })
        }),
      )
      expectRefused(error, ReadOnly.name, /may describe the topic but lacks WRITE/)
      expect(error.context.topic).toBe(ReadOnly.name)
      expect(await readCommitted(plain, Allowed.name)).toEqual([])
    })
  })
})

describe('records already queued when the ACL goes', () => {
  // A broker whose topics without an ACL are open to everyone, behind a proxy: a topic is
  // closed to this file's principal (ANONYMOUS, on a plaintext listener the proxy can read)
  // by an ACL for someone else, while the proxy drops the producer's Produce requests.
  let cluster: KafkaCluster
  let proxy: KafkaProxy
  beforeAll(async () => {
    cluster = await startKafka({ backend: 'jvm', brokers: 1, brokerConfig: { 'authorizer.class.name': AUTHORIZER, 'allow.everyone.if.no.acl.found': 'true' }, log: () => {} })
    plain = cluster.brokers
    setUp = aclAdmin(plain)
    proxy = await proxyBroker(cluster.brokers[0]!)
  }, 240_000)
  afterAll(async () => {
    await proxy?.close()
    await cluster?.stop()
  })

  test(
    'records waiting for a retry when the principal loses the topic fail at the refusal, KAFKIT_AUTH, not at their delivery timeout; the other topic keeps flowing',
    async () => {
      const clientId = uniqueName('authz-queued')
      const kafka = new Kafkit({ clientId, brokers: [proxy.address], logLevel: 'nothing', retry: { retries: 2, initialRetryTimeMs: 100 } })
      const Allowed = defineTopic({ name: uniqueName('authz-allowed'), value: string(), partitions: 1, replicationFactor: 1 })
      const Revoked = defineTopic({ name: uniqueName('authz-revoked'), value: string(), partitions: 1, replicationFactor: 1 })
      const outcome = (sent: Promise<unknown>) => sent.then(() => undefined, (error: unknown) => error as KafkitError)
      try {
        await create(Allowed, Revoked)
        const producer = kafka.producer({ ackTimeoutMs: 5_000, deliveryTimeoutMs: DELIVERY_TIMEOUT_MS })
        await producer.send(Revoked, { value: 'before' })
        await producer.send(Allowed, { value: 'before' })
        // From here no Produce request of this producer reaches the broker: its batch is retried,
        // with a metadata refresh after each lost request.
        let cut = true
        let lost = 0
        proxy.onRequest = (request) => {
          if (!cut || request.apiKey !== ApiKey.Produce || request.clientId !== clientId) return 'pass'
          lost++
          return 'reset'
        }
        const sent = outcome(producer.send(Revoked, { value: 'sent' }))
        await waitFor(() => lost > 0, { message: 'the first Produce request lost' })
        // Queued behind the batch being retried: never sent.
        const queued = outcome(producer.send(Revoked, { value: 'queued' }))
        // An ACL for someone else closes the topic to this principal: the next refresh is refused.
        await allow(SOMEONE_ELSE, AclResourceTypes.TOPIC, Revoked.name, [AclOperationTypes.WRITE])
        const [sentError, queuedError] = await Promise.all([sent, queued])
        expectRefused(queuedError!, Revoked.name, /neither WRITE nor DESCRIBE/)
        expect(queuedError!.context.topic).toBe(Revoked.name)
        expect(queuedError!.context.outcome).toBe('not-written')
        // Its request went out and got no answer: kafkit cannot know it was not written.
        expectRefused(sentError!, Revoked.name, /neither WRITE nor DESCRIBE/)
        expect(sentError!.context.outcome).toBe('unknown')
        // And its message says so, not that the delivery timeout passed.
        expect(sentError!.message).toMatch(/went out in a request that got no answer, or an answer that does not rule out the write, before this failure/)
        expect(sentError!.message).not.toContain('delivery timeout')
        cut = false
        await producer.send(Allowed, { value: 'after' })
        // A new send to the closed topic is refused at once too.
        expectRefused(await rejectionOf<KafkitError>(producer.send(Revoked, { value: 'later' })), Revoked.name, /neither WRITE nor DESCRIBE/)
        await disallowTopic(SOMEONE_ELSE, Revoked.name)
        expect((await readTopic(plain, Revoked.name, 1)).map((r) => r.value?.toString())).toEqual(['before'])
        expect((await readTopic(plain, Allowed.name, 2)).map((r) => r.value?.toString())).toEqual(['before', 'after'])
      } finally {
        proxy.onRequest = () => 'pass'
        await kafka.close()
      }
    },
    TEST_TIMEOUT_MS,
  )
})
