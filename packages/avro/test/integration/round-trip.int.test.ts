// Contract: registry-backed Avro values and keys survive a trip through a real Kafka broker in the Confluent wire format, with the registry's id, cached after first use, and readable by @kafkajs/confluent-schema-registry (and the other way round).
import { SchemaRegistry as ReferenceRegistry } from '@kafkajs/confluent-schema-registry'
import { describe, expect, test } from 'vitest'
import { avro, recordNameStrategy, SchemaRegistry, topicRecordNameStrategy } from '../../src/index.js'
import { cluster, consumeRaw, createTopic, produceRaw } from './kafka-helpers.js'

const orderSchema = {
  type: 'record',
  name: 'Order',
  namespace: 'com.kafkit.it',
  fields: [
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'total', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'items', type: { type: 'array', items: 'string' } },
    { name: 'coupon', type: ['null', 'string'], default: null },
  ],
} as const

const keySchema = { type: 'record', name: 'OrderKey', namespace: 'com.kafkit.it', fields: [{ name: 'customer', type: 'string' }] } as const

const order = {
  id: '0b6f7a8c-1d2e-4f50-8a9b-0c1d2e3f4a5b',
  placedAt: new Date('2025-01-02T03:04:05.678Z'),
  total: '1234.50',
  items: ['book', 'pen'],
  coupon: null,
}

describe('registry-backed Avro through Kafka', () => {
  test('key and value round-trip with magic byte, the registry id, and the TopicName subjects', async () => {
    const registry = new SchemaRegistry({ url: cluster().schemaRegistryUrl })
    const topic = await createTopic('avro-rt')
    const value = avro(orderSchema, { registry })
    const key = avro(keySchema, { registry })

    const first = value.encode(order, { topic, field: 'value' })
    expect(first).toBeInstanceOf(Promise)
    const valueBytes = await first
    const keyBytes = await key.encode({ customer: 'c-1' }, { topic, field: 'key' })

    const registeredValue = await registry.latest(`${topic}-value`)
    const registeredKey = await registry.latest(`${topic}-key`)
    expect(registeredValue).toBeDefined()
    expect(registeredKey).toBeDefined()
    expect(valueBytes[0]).toBe(0)
    expect(valueBytes.readInt32BE(1)).toBe(registeredValue?.id)
    expect(keyBytes.readInt32BE(1)).toBe(registeredKey?.id)
    // The schema is registered as written: logical types survive.
    expect(JSON.parse(registeredValue?.schema ?? '{}').fields[1].type.logicalType).toBe('timestamp-millis')

    // A value bigger than the serde's scratch buffer keeps header and body intact.
    const big = await value.encode({ ...order, items: Array.from({ length: 2_000 }, (_, i) => `item-${i}`) }, { topic, field: 'value' })
    expect(big.readInt32BE(1)).toBe(registeredValue?.id)
    expect(((await value.decode(big, { topic, field: 'value' })) as { items: string[] }).items).toHaveLength(2_000)

    // Cache warm: later encodes are synchronous and carry the same id.
    const second = value.encode({ ...order, coupon: 'WELCOME' }, { topic, field: 'value' })
    expect(Buffer.isBuffer(second)).toBe(true)
    expect((second as Buffer).readInt32BE(1)).toBe(registeredValue?.id)

    await produceRaw(topic, [
      { key: keyBytes, value: valueBytes },
      { key: keyBytes, value: second as Buffer },
    ])
    const records = await consumeRaw(topic, 2)

    // A fresh serde (another service) reads them: first decode fetches the id, then it is synchronous.
    const reader = avro(orderSchema, { registry: new SchemaRegistry({ url: cluster().schemaRegistryUrl }) })
    const ctx = { topic, field: 'value' as const, partition: records[0]!.partition, offset: records[0]!.offset }
    const firstDecode = reader.decode(records[0]!.value!, ctx)
    expect(firstDecode).toBeInstanceOf(Promise)
    expect(await firstDecode).toEqual(order)
    const secondDecode = reader.decode(records[1]!.value!, { ...ctx, offset: records[1]!.offset })
    expect(secondDecode).not.toBeInstanceOf(Promise)
    expect(secondDecode).toEqual({ ...order, coupon: 'WELCOME' })
    expect(await key.decode(records[0]!.key!, { topic, field: 'key' })).toEqual({ customer: 'c-1' })
  })

  test('RecordName and TopicRecordName strategies register under the record name', async () => {
    const registry = new SchemaRegistry({ url: cluster().schemaRegistryUrl })
    const topic = await createTopic('avro-strategy')
    const name = `Evt${topic.replace(/[^a-z0-9]/gi, '')}`
    const schema = { type: 'record', name, namespace: 'com.kafkit.it', fields: [{ name: 'n', type: 'int' }] }
    const byRecord = await avro(schema, { registry, subjectStrategy: recordNameStrategy }).encode({ n: 1 }, { topic, field: 'value' })
    const byTopicRecord = await avro(schema, { registry, subjectStrategy: topicRecordNameStrategy }).encode({ n: 1 }, { topic, field: 'value' })
    expect((await registry.latest(`com.kafkit.it.${name}`))?.id).toBe(byRecord.readInt32BE(1))
    expect((await registry.latest(`${topic}-com.kafkit.it.${name}`))?.id).toBe(byTopicRecord.readInt32BE(1))
    expect(await registry.latest(`${topic}-value`)).toBeUndefined()
  })

  test('bytes are interchangeable with @kafkajs/confluent-schema-registry over the same (path-prefixed) URL', async () => {
    const url = cluster().schemaRegistryUrl
    const topic = await createTopic('avro-interop')
    const plain = { type: 'record', name: 'Ping', namespace: 'com.kafkit.it', fields: [{ name: 'seq', type: 'long' }, { name: 'from', type: 'string' }] } as const
    const reference = new ReferenceRegistry({ host: url })
    const { id } = await reference.register(plain as never, { subject: `${topic}-value` })

    const ours = avro(plain, { registry: new SchemaRegistry({ url }), autoRegister: false })
    const fromUs = await ours.encode({ seq: 7, from: 'kafkit' }, { topic, field: 'value' })
    const fromThem = await reference.encode(id, { seq: 8, from: 'reference' })
    await produceRaw(topic, [{ value: fromUs }, { value: fromThem }])
    const [a, b] = await consumeRaw(topic, 2)

    expect(fromUs.readInt32BE(1)).toBe(id)
    expect(await reference.decode(a!.value!)).toEqual({ seq: 7, from: 'kafkit' })
    expect(await ours.decode(b!.value!, { topic, field: 'value' })).toEqual({ seq: 8, from: 'reference' })
  })
})
