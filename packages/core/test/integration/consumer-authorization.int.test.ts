// Contract: a consumer whose principal may not read a topic, or may not use its group, fails with a non-retriable KAFKIT_AUTH naming the topic (`context.topic`, only the refused one of several) or the group (`context.groupId`) and the ACL missing: neither READ nor DESCRIBE when Metadata refuses the topic (start() fails), DESCRIBE but no READ when the Fetch is refused (`done` rejects), no READ on the group when its coordinator lookup is refused (start() fails, not "Failed to find group coordinator").
import { rejectionOf, uniqueName } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { defineTopic, type KafkitConsumer, type KafkitError, string } from '../../src/index.js'
import { type AclBroker, principalOf, startAclBroker } from './acl-broker.js'

const { AclResourceTypes, AclOperationTypes } = kafkajs
const ALICE = { username: 'alice', password: 'alice-Pa55-w0rd-c0n5' }
const ALICE_PRINCIPAL = principalOf(ALICE)
const TEST_TIMEOUT_MS = 60_000

const Topic = (prefix: string) => defineTopic({ name: uniqueName(prefix), value: string(), partitions: 1, replicationFactor: 1 })

describe('a consumer of a SASL user with ACLs of her own', { timeout: TEST_TIMEOUT_MS }, () => {
  let broker: AclBroker
  const consumers: KafkitConsumer[] = []

  beforeAll(async () => {
    broker = await startAclBroker([ALICE])
  }, 240_000)

  afterAll(async () => {
    await Promise.allSettled(consumers.map((consumer) => consumer.stop()))
    await broker?.stop()
  })

  /** A consumer of alice's in group `groupId` handling `topics`, with no retry or dead-letter topic to create (she may create none). */
  function consumerOf(groupId: string, ...topics: ReturnType<typeof Topic>[]): KafkitConsumer {
    const consumer = broker.client(ALICE).consumer({ groupId, shutdown: false, deadLetter: false, retry: false })
    for (const topic of topics) consumer.handle(topic, async () => {})
    consumers.push(consumer)
    return consumer
  }

  /** A group alice may read. */
  async function readableGroup(): Promise<string> {
    const groupId = uniqueName('authz-group')
    await broker.allow(ALICE_PRINCIPAL, AclResourceTypes.GROUP, groupId, [AclOperationTypes.READ])
    return groupId
  }

  function expectRefused(error: KafkitError, missing: RegExp): void {
    expect(error.code).toBe('KAFKIT_AUTH')
    expect(error.retriable).toBe(false)
    expect(error.message).toMatch(missing)
  }

  test('a topic alice may not describe, beside one she may read: start() fails KAFKIT_AUTH naming only the refused topic, neither READ nor DESCRIBE', async () => {
    const Readable = Topic('authz-readable')
    const Refused = Topic('authz-refused')
    await broker.create(Readable, Refused)
    await broker.allow(ALICE_PRINCIPAL, AclResourceTypes.TOPIC, Readable.name, [AclOperationTypes.READ])
    const groupId = await readableGroup()
    const error = await rejectionOf<KafkitError>(consumerOf(groupId, Readable, Refused).start())
    expectRefused(error, /not authorized to read topic '[^']+' \(TOPIC_AUTHORIZATION_FAILED\): .*neither READ nor DESCRIBE/)
    expect(error.message).toContain(`'${Refused.name}'`)
    expect(error.message).not.toContain(`'${Readable.name}'`)
    expect(error.context).toMatchObject({ topic: Refused.name, groupId, kafkaError: 'TOPIC_AUTHORIZATION_FAILED' })
  })

  test('a topic alice may describe but not read: the consumer stops (done rejects) KAFKIT_AUTH naming the topic and READ', async () => {
    const DescribeOnly = Topic('authz-describe-only')
    await broker.create(DescribeOnly)
    await broker.allow(ALICE_PRINCIPAL, AclResourceTypes.TOPIC, DescribeOnly.name, [AclOperationTypes.DESCRIBE])
    const groupId = await readableGroup()
    const consumer = consumerOf(groupId, DescribeOnly)
    // Its Fetch is refused once it joined: before or after start() returned.
    await consumer.start().catch(() => {})
    const error = await rejectionOf<KafkitError>(consumer.done)
    expectRefused(error, /not authorized to read topic '[^']+' \(TOPIC_AUTHORIZATION_FAILED\): .*may describe the topic but lacks READ/)
    expect(error.context).toMatchObject({ topic: DescribeOnly.name, groupId, kafkaError: 'TOPIC_AUTHORIZATION_FAILED' })
  })

  test('a group alice may not use: start() fails KAFKIT_AUTH naming the group and READ on it, not "Failed to find group coordinator"', async () => {
    const Readable = Topic('authz-readable')
    await broker.create(Readable)
    await broker.allow(ALICE_PRINCIPAL, AclResourceTypes.TOPIC, Readable.name, [AclOperationTypes.READ])
    const groupId = uniqueName('authz-refused-group')
    const error = await rejectionOf<KafkitError>(consumerOf(groupId, Readable).start())
    expectRefused(error, /not authorized to use group '[^']+' \(GROUP_AUTHORIZATION_FAILED\): .*lacks READ on it/)
    expect(error.message).toContain(`--group ${groupId}`)
    expect(error.context).toMatchObject({ groupId, kafkaError: 'GROUP_AUTHORIZATION_FAILED' })
  })
})
