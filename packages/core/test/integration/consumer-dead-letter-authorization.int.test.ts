// Contract: a consumer whose dead-letter or retry-topic write the broker refuses for a missing ACL loses nothing and keeps running: the record's partition is held (its offset not committed, nothing after it handled, the handler not called again), health lists the hold with reason authorization, the other partition keeps flowing, and once the ACL is back the record is in its dead-letter or retry topic exactly once and the partition moves on.
import { uniqueName, waitFor } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { defineTopic, type HeldPartition, type Kafkit, type KafkitConsumer, string } from '../../src/index.js'
import { type AclBroker, principalOf, startAclBroker } from './acl-broker.js'
import { type Harness, harness } from './consumer-harness.js'

const { AclResourceTypes, AclOperationTypes } = kafkajs
const ALICE = { username: 'alice', password: 'alice-Pa55-w0rd-d1q7' }
const ALICE_PRINCIPAL = principalOf(ALICE)
const TEST_TIMEOUT_MS = 120_000
// The refusals go on for this long before the ACL comes back: several tries of the write.
const REFUSED_FOR_MS = 5_000
const { READ, WRITE, DESCRIBE } = AclOperationTypes

describe('a consumer of a SASL user whose dead-letter or retry-topic write is refused for a missing ACL', { timeout: TEST_TIMEOUT_MS }, () => {
  let broker: AclBroker
  let plain: Harness
  const consumers: KafkitConsumer[] = []

  beforeAll(async () => {
    broker = await startAclBroker([ALICE])
    plain = await harness(broker.plain)
  }, 240_000)

  afterAll(async () => {
    await Promise.allSettled(consumers.map((consumer) => consumer.stop()))
    await plain?.close()
    await broker?.stop()
  })

  const topic = (name: string) => ({ name, partitions: 2 })
  const allowTopic = (name: string, ...operations: kafkajs.AclOperationTypes[]) => broker.allow(ALICE_PRINCIPAL, AclResourceTypes.TOPIC, name, operations)

  /** The committed offset of each partition of `source` for `groupId` ('-1': none). */
  async function committed(groupId: string, source: string): Promise<string[]> {
    const [offsets] = await plain.admin.fetchOffsets({ groupId, topics: [source] })
    return offsets!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)
  }

  /** Resolves with `check`'s value once it holds; rejects at once if the consumer ends meanwhile (it must not). */
  function whileRunning<T>(consumer: KafkitConsumer, check: () => T | Promise<T>, message: string): Promise<Exclude<T, false | undefined>> {
    const ended = consumer.done.then(
      () => Promise.reject(new Error(`the consumer stopped while waiting for: ${message}`)),
      (error: unknown) => Promise.reject(new Error(`the consumer failed while waiting for ${message}: ${error instanceof Error ? error.message : String(error)}`)),
    )
    return Promise.race([waitFor(check, { timeoutMs: 60_000, message }), ended])
  }

  const heldOf = (kafka: Kafkit, groupId: string): HeldPartition[] => kafka.health({ maxPartitionHoldMs: 0 }).consumers.find((c) => c.groupId === groupId)?.heldPartitions ?? []

  /**
   * Runs one consumer of alice's over a 2-partition source whose record 'bad' (partition 0,
   * offset 0) always fails, while `target` (its dead-letter or first retry topic) refuses her
   * writes; `grantWrite` gives her WRITE on it after {@link REFUSED_FOR_MS}. Checks the hold
   * meanwhile and what is where afterwards.
   */
  async function holdsUntilGranted(options: { source: string; groupId: string; target: string; consumer: KafkitConsumer; kafka: Kafkit; handled: string[]; grantWrite: () => Promise<void>; afterStart?: () => Promise<void>; refusal: RegExp }) {
    const { source, groupId, target, consumer, kafka, handled } = options
    let ended = false
    consumer.done.then(() => (ended = true), () => (ended = true))
    await consumer.start()
    await options.afterStart?.()
    await plain.produce(source, [
      { value: 'bad', partition: 0 },
      { value: 'after-bad', partition: 0 },
      { value: 'p1-a', partition: 1 },
      { value: 'p1-b', partition: 1 },
    ])
    // Held: the write refused over and over, the record named in health with reason authorization.
    const held = await whileRunning(consumer, () => heldOf(kafka, groupId).find((h) => h.attempts >= 4), `a hold of ${source}[0] with several refused writes`)
    expect(held).toMatchObject({ topic: source, partition: 0, offset: '0', errorCode: 'KAFKIT_AUTH', reason: 'authorization' })
    expect(held.errorMessage).toContain(`write to ${target}: not authorized to`)
    // Which request refused it, and so which ACL it lacks.
    expect(held.errorMessage).toMatch(options.refusal)
    // The other partition flows meanwhile.
    await whileRunning(consumer, () => handled.includes('p1-a') && handled.includes('p1-b'), 'partition 1 handled')
    await whileRunning(consumer, async () => (await committed(groupId, source))[1] === '2', 'partition 1 committed')
    const report = kafka.health({ maxPartitionHoldMs: 0 })
    expect(report.live).toBe(true)
    expect(report.ready).toBe(false)
    expect(report.consumers.find((c) => c.groupId === groupId)?.state).toBe('running')
    expect(report.problems.join('\n')).toContain(`holds ${source}[0] at offset 0`)
    await new Promise((resolve) => setTimeout(resolve, REFUSED_FOR_MS))
    // Still held after seconds of refusals: nothing lost, nothing past the record handled or committed.
    expect(ended).toBe(false)
    expect(handled).not.toContain('after-bad')
    expect((await committed(groupId, source))[0]).toBe('-1')
    expect(await targetCount(target)).toBe(0)
    expect(heldOf(kafka, groupId)[0]?.attempts).toBeGreaterThan(held.attempts)
    await options.grantWrite()
    // The ACL is back: the record is parked, the partition moves on.
    await whileRunning(consumer, async () => (await committed(groupId, source))[0] === '2', 'partition 0 committed past the record')
    expect(handled.filter((v) => v === 'after-bad')).toEqual(['after-bad'])
    expect(heldOf(kafka, groupId)).toEqual([])
    expect(kafka.health({ maxPartitionHoldMs: 0 }).ready).toBe(true)
    expect(ended).toBe(false)
  }

  async function targetCount(target: string): Promise<number> {
    const offsets = await plain.admin.fetchTopicOffsets(target)
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0)
  }

  test(
    'a dead-letter write refused (WRITE taken away): the partition is held and shown in health, the other flows; once WRITE is back the record is in the dead-letter topic once',
    async () => {
      const source = uniqueName('authz-dlq-source')
      const dlq = `${source}.dlq`
      const groupId = uniqueName('authz-dlq-group')
      await broker.create(topic(source), topic(dlq))
      await allowTopic(source, READ, DESCRIBE)
      // WRITE on the dead-letter topic is the only WRITE alice has: the writer's producer id hangs on it too.
      await allowTopic(dlq, WRITE, DESCRIBE)
      await broker.allow(ALICE_PRINCIPAL, AclResourceTypes.GROUP, groupId, [READ])
      const kafka = broker.client(ALICE)
      const Source = defineTopic({ name: source, value: string(), partitions: 2, replicationFactor: 1 })
      const handled: string[] = []
      const consumer = kafka.consumer({ groupId, shutdown: false, fromBeginning: true, partitionsConcurrently: 2, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, retry: { attempts: 1, backoff: { initialMs: 100, maxMs: 1_000 } }, deadLetter: true })
      consumer.handle(Source, ({ value }) => {
        handled.push(value)
        if (value === 'bad') throw new Error('no such user')
      })
      consumers.push(consumer)
      // An operator re-creating the topic's ACLs: WRITE gone, DESCRIBE kept.
      await broker.disallowTopic(ALICE_PRINCIPAL, dlq)
      await allowTopic(dlq, DESCRIBE)
      // With no WRITE on any topic left, the broker refuses the writer its producer id (InitProducerId).
      await holdsUntilGranted({ source, groupId, target: dlq, consumer, kafka, handled, grantWrite: () => allowTopic(dlq, WRITE), refusal: /producer id \(CLUSTER_AUTHORIZATION_FAILED\).*WRITE on some topic/ })
      // The handler ran twice (its one retry), never again while the write was held.
      expect(handled.filter((v) => v === 'bad')).toEqual(['bad', 'bad'])
      const [letter, ...more] = await plain.readAll(dlq, 1)
      expect(more).toEqual([])
      expect(letter?.value?.toString()).toBe('bad')
      expect(letter?.headers['kafkit-original-offset']?.toString()).toBe('0')
      expect(letter?.headers['kafkit-original-partition']?.toString()).toBe('0')
      expect(letter?.headers['kafkit-error-stack']).toBeDefined()
      expect(await targetCount(dlq)).toBe(1)
    },
  )

  test(
    'a dead-letter write refused by Metadata (every ACL of the topic taken away, the writer holding a producer id): held the same way; once WRITE and DESCRIBE are back the record is in the dead-letter topic once',
    async () => {
      const source = uniqueName('authz-dlq-meta-source')
      const dlq = `${source}.dlq`
      const groupId = uniqueName('authz-dlq-meta-group')
      await broker.create(topic(source), topic(dlq))
      // WRITE on the source too (a service that also produces to it): the writer gets its producer id whatever the dead-letter topic's ACLs.
      await allowTopic(source, READ, DESCRIBE, WRITE)
      await allowTopic(dlq, WRITE, DESCRIBE)
      await broker.allow(ALICE_PRINCIPAL, AclResourceTypes.GROUP, groupId, [READ])
      const kafka = broker.client(ALICE)
      const Source = defineTopic({ name: source, value: string(), partitions: 2, replicationFactor: 1 })
      const handled: string[] = []
      const consumer = kafka.consumer({ groupId, shutdown: false, fromBeginning: true, partitionsConcurrently: 2, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, retry: false, deadLetter: true })
      consumer.handle(Source, ({ value }) => {
        handled.push(value)
        if (value === 'bad') throw new Error('no such user')
      })
      consumers.push(consumer)
      await holdsUntilGranted({
        source,
        groupId,
        target: dlq,
        consumer,
        kafka,
        handled,
        // After start (which needs DESCRIBE on it to find it): neither WRITE nor DESCRIBE.
        afterStart: () => broker.disallowTopic(ALICE_PRINCIPAL, dlq),
        grantWrite: () => allowTopic(dlq, WRITE, DESCRIBE),
        refusal: /TOPIC_AUTHORIZATION_FAILED.*neither WRITE nor DESCRIBE/,
      })
      expect(handled.filter((v) => v === 'bad')).toEqual(['bad'])
      const [letter, ...more] = await plain.readAll(dlq, 1)
      expect(more).toEqual([])
      expect(letter?.headers['kafkit-original-offset']?.toString()).toBe('0')
      expect(await targetCount(dlq)).toBe(1)
    },
  )

  test(
    'a retry-topic write refused (no WRITE, the Produce refusal): the partition is held and shown in health, the other flows; once WRITE is granted the record is in the retry topic once, then dead-lettered from it',
    async () => {
      const source = uniqueName('authz-retry-source')
      const groupId = uniqueName('authz-retry-group')
      const retryTopic = `${source}.${groupId}.retry.1s`
      const dlq = `${source}.dlq`
      await broker.create(topic(source), topic(retryTopic), topic(dlq))
      await allowTopic(source, READ, DESCRIBE)
      // The consumer reads its retry topic: READ and DESCRIBE all along (taking them away would
      // stop it, see consumer-authorization.int.test.ts); WRITE is missing from the start.
      await allowTopic(retryTopic, READ, DESCRIBE)
      await allowTopic(dlq, WRITE, DESCRIBE)
      await broker.allow(ALICE_PRINCIPAL, AclResourceTypes.GROUP, groupId, [READ])
      const kafka = broker.client(ALICE)
      const Source = defineTopic({ name: source, value: string(), partitions: 2, replicationFactor: 1 })
      const handled: string[] = []
      const consumer = kafka.consumer({ groupId, shutdown: false, fromBeginning: true, partitionsConcurrently: 2, heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, retry: { attempts: 0, backoff: { initialMs: 100, maxMs: 1_000 } }, retryTopics: ['1s'], deadLetter: true })
      consumer.handle(Source, ({ value }) => {
        handled.push(value)
        if (value === 'bad') throw new Error('no such user')
      })
      consumers.push(consumer)
      await holdsUntilGranted({ source, groupId, target: retryTopic, consumer, kafka, handled, grantWrite: () => allowTopic(retryTopic, WRITE), refusal: /TOPIC_AUTHORIZATION_FAILED.*may describe the topic but lacks WRITE/ })
      const [copy, ...more] = await plain.readAll(retryTopic, 1)
      expect(more).toEqual([])
      expect(copy?.value?.toString()).toBe('bad')
      expect(copy?.headers['kafkit-original-offset']?.toString()).toBe('0')
      expect(await targetCount(retryTopic)).toBe(1)
      // From the retry topic, its last tier: it fails again and is dead-lettered once.
      const [letter] = await whileRunning(consumer, async () => ((await targetCount(dlq)) === 1 ? plain.readAll(dlq, 1) : undefined), 'the record dead-lettered from the retry topic')
      expect(letter?.value?.toString()).toBe('bad')
      expect(handled.filter((v) => v === 'bad')).toEqual(['bad', 'bad'])
    },
  )
})
