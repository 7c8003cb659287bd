import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { defineTopic, type IncomingMessage, json, Kafkit, type KafkitProducer, type OutgoingMessage, string, type Transaction } from '../src/index.js'

const Profile = z.object({ name: z.string() })
/** A compacted topic whose null values delete keys. */
const Profiles = defineTopic({ name: 'profiles', key: string(), value: json(Profile), tombstones: true, config: { 'cleanup.policy': 'compact' } })
/** The same value without the declaration. */
const Events = defineTopic({ name: 'events', key: string(), value: json(Profile) })

declare const producer: KafkitProducer
declare const tx: Transaction
const kafka = new Kafkit({ clientId: 't', brokers: ['localhost:9092'] })

describe('tombstones: true', () => {
  test('the contract says so in its type', () => {
    expectTypeOf(Profiles.tombstones).toEqualTypeOf<true>()
    expectTypeOf(Events.tombstones).toEqualTypeOf<false>()
  })

  test('send, sendBatch and transactions accept value: null only for a contract that declares tombstones', () => {
    expectTypeOf<OutgoingMessage<typeof Profiles>['value']>().toEqualTypeOf<{ name: string } | null>()
    expectTypeOf<OutgoingMessage<typeof Events>['value']>().toEqualTypeOf<{ name: string }>()
    void producer.send(Profiles, { key: 'u1', value: null })
    void producer.sendBatch([{ topic: Profiles, messages: [{ key: 'u1', value: null }, { key: 'u2', value: { name: 'b' } }] }])
    void tx.send(Profiles, { key: 'u1', value: null })
    // @ts-expect-error Events does not declare tombstones
    void producer.send(Events, { key: 'u1', value: null })
    // @ts-expect-error nor in a transaction
    void tx.send(Events, { key: 'u1', value: null })
    // A contract whose flag is only known as a boolean may refuse a tombstone at run time: the type refuses it
    // too, while its handlers are asked to handle a null.
    const Maybe = defineTopic({ name: 'maybe', key: string(), value: json(Profile), tombstones: Math.random() > 0.5 })
    // @ts-expect-error tombstones: boolean
    void producer.send(Maybe, { key: 'u1', value: null })
    expectTypeOf<IncomingMessage<typeof Maybe>['value']>().toEqualTypeOf<{ name: string } | null>()
    // @ts-expect-error a tombstone still needs its key
    void producer.send(Profiles, { value: null })
  })

  test('handlers receive value: null, so the compiler makes them handle it', () => {
    expectTypeOf<IncomingMessage<typeof Profiles>['value']>().toEqualTypeOf<{ name: string } | null>()
    expectTypeOf<IncomingMessage<typeof Events>['value']>().toEqualTypeOf<{ name: string }>()
    const consumer = kafka.consumer({ groupId: 'g' })
    consumer.handle(Profiles, async (m) => {
      // @ts-expect-error value may be a tombstone: check for null first
      m.value.name
      if (m.value === null) {
        expectTypeOf(m.key).toEqualTypeOf<string>()
        return
      }
      expectTypeOf(m.value.name).toEqualTypeOf<string>()
    })
    consumer.handleBatch(Profiles, async (messages) => {
      expectTypeOf(messages[0]!.value).toEqualTypeOf<{ name: string } | null>()
    })
    consumer.handle(Events, async (m) => {
      expectTypeOf(m.value.name).toEqualTypeOf<string>()
    })
  })

  test("a pipeline's input may be a tombstone and its outputs may be one", () => {
    kafka
      .pipeline({ groupId: 'g' })
      .from(Profiles)
      .to(Profiles, (m) => {
        expectTypeOf(m.value).toEqualTypeOf<{ name: string } | null>()
        return { key: m.key, value: m.value === null ? null : { name: m.value.name.toUpperCase() } }
      })
    kafka
      .pipeline({ groupId: 'g' })
      .from(Profiles)
      // @ts-expect-error Events does not declare tombstones
      .to(Events, (m) => ({ key: m.key, value: null }))
  })

  test('tombstones is a boolean', () => {
    // @ts-expect-error not a boolean
    defineTopic({ name: 'x', key: string(), value: string(), tombstones: 'yes' })
  })
})
