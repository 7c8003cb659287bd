import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import {
  buffer,
  defineTopic,
  type IncomingMessage,
  json,
  Kafkit,
  type KafkitProducer,
  optional,
  type OutgoingMessage,
  string,
  type TopicContract,
} from '../src/index.js'

const UserActivity = defineTopic({
  name: 'user-activity',
  key: string(),
  value: json(
    z.object({
      userId: z.string(),
      action: z.enum(['login', 'click', 'purchase']),
      at: z.coerce.date(),
    }),
  ),
  headers: { 'trace-id': string(), tenant: optional(string()) },
  partitions: 6,
})

const Blobs = defineTopic({ name: 'blobs', value: buffer() })
const Counts = defineTopic({ name: 'counts', key: string(), value: json(z.number().int()) })

declare const producer: KafkitProducer

describe('defineTopic', () => {
  test('keeps the literal topic name and the serde types', () => {
    expectTypeOf(UserActivity.name).toEqualTypeOf<'user-activity'>()
    expectTypeOf(UserActivity).toExtend<TopicContract<'user-activity'>>()
    expectTypeOf(Blobs.key).toEqualTypeOf<undefined>()
  })

  test('rejects a non-serde value at compile time', () => {
    // @ts-expect-error value must be a serde
    defineTopic({ name: 'x', value: z.string() })
    // @ts-expect-error partitions is a number
    defineTopic({ name: 'x', value: string(), partitions: '3' })
    // @ts-expect-error config values are strings
    defineTopic({ name: 'x', value: string(), config: { 'retention.ms': 1000 } })
  })
})

describe('OutgoingMessage', () => {
  test('is the input type of the serdes', () => {
    expectTypeOf<OutgoingMessage<typeof UserActivity>['key']>().toEqualTypeOf<string>()
    expectTypeOf<OutgoingMessage<typeof UserActivity>['value']>().toEqualTypeOf<{ userId: string; action: 'login' | 'click' | 'purchase'; at: unknown }>()
    expectTypeOf<OutgoingMessage<typeof UserActivity>['headers']>().toEqualTypeOf<{ 'trace-id': string; tenant?: string }>()
    expectTypeOf<OutgoingMessage<typeof Blobs>['value']>().toEqualTypeOf<Uint8Array>()
  })
})

describe('producer.send', () => {
  test('accepts a message that fits the contract', () => {
    void producer.send(UserActivity, { key: 'u1', value: { userId: 'u1', action: 'login', at: new Date() }, headers: { 'trace-id': 't' } })
    void producer.send(Blobs, { value: Buffer.from('x') })
    void producer.send(Counts, [{ key: 'a', value: 1 }, { key: 'b', value: 2 }])
  })

  test('a wrong payload does not compile', () => {
    // @ts-expect-error unknown action
    void producer.send(UserActivity, { key: 'u1', value: { userId: 'u1', action: 'logout', at: new Date() }, headers: { 'trace-id': 't' } })
    // @ts-expect-error userId is a string
    void producer.send(UserActivity, { key: 'u1', value: { userId: 1, action: 'login', at: new Date() }, headers: { 'trace-id': 't' } })
    // @ts-expect-error a field is missing
    void producer.send(UserActivity, { key: 'u1', value: { userId: 'u1', at: new Date() }, headers: { 'trace-id': 't' } })
    // @ts-expect-error the key is required and a string
    void producer.send(UserActivity, { key: 42, value: { userId: 'u1', action: 'login', at: new Date() }, headers: { 'trace-id': 't' } })
    // @ts-expect-error the required header is missing
    void producer.send(UserActivity, { key: 'u1', value: { userId: 'u1', action: 'login', at: new Date() } })
    // @ts-expect-error the header is a string
    void producer.send(UserActivity, { key: 'u1', value: { userId: 'u1', action: 'login', at: new Date() }, headers: { 'trace-id': 1 } })
    // @ts-expect-error a topic without a key serde takes no key
    void producer.send(Blobs, { key: 'k', value: Buffer.from('x') })
    // @ts-expect-error not an integer type
    void producer.send(Counts, { key: 'a', value: 'one' })
  })
})

describe('producer.sendBatch', () => {
  test('types each entry by its own contract', () => {
    void producer.sendBatch([
      { topic: Counts, messages: [{ key: 'a', value: 1 }] },
      { topic: Blobs, messages: [{ value: Buffer.from('x') }] },
    ])
  })

  test('a wrong payload in any entry does not compile', () => {
    void producer.sendBatch([
      { topic: Counts, messages: [{ key: 'a', value: 1 }] },
      // @ts-expect-error Blobs takes bytes, not a number
      { topic: Blobs, messages: [{ value: 1 }] },
    ])
  })
})

describe('IncomingMessage', () => {
  test('is the output type of the serdes', () => {
    type Received = IncomingMessage<typeof UserActivity>
    expectTypeOf<Received['value']['at']>().toEqualTypeOf<Date>()
    expectTypeOf<Received['key']>().toEqualTypeOf<string>()
    expectTypeOf<Received['topic']>().toEqualTypeOf<'user-activity'>()
    expectTypeOf<Received['headers']>().toEqualTypeOf<{ 'trace-id': string; tenant?: string | undefined }>()
    expectTypeOf<IncomingMessage<typeof Blobs>['key']>().toEqualTypeOf<null>()
    expectTypeOf<IncomingMessage<typeof Blobs>['value']>().toEqualTypeOf<Buffer>()
  })
})

describe('Kafkit', () => {
  test('takes typed options', () => {
    const kafka = new Kafkit({ clientId: 'svc', brokers: ['localhost:9092'] })
    expectTypeOf(kafka.producer()).toEqualTypeOf<KafkitProducer>()
    // @ts-expect-error acks is 'all' | 1 | 0
    kafka.producer({ acks: 2 })
    // @ts-expect-error unknown codec
    kafka.producer({ compression: 'brotli' })
  })
})
