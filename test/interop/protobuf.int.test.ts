// Contract: Protobuf bytes are interchangeable with Confluent's Python serdes (confluent-kafka from PyPI) on the real broker and registry: 200 records ProtobufSerializer wrote (base64 descriptor registered, a reference for the import) reach a kafkit consumer field by field, and 200 records kafkit wrote are read field by field by ProtobufDeserializer (with a registry client where the registry serves descriptors, without on Apicurio 2.6).
import { join } from 'node:path'
import { beforeAll, describe, expect, inject, test } from 'vitest'
import { defineTopic, Kafkit, string } from '@kafkit/core'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { loadProtoFile, protobuf, SchemaRegistry, type ProtoObject } from '@kafkit/protobuf'
import { createTopic } from '../../packages/avro/test/integration/kafka-helpers.js'
import { expectedRecord, pythonConsume, pythonProduce, pythonWithConfluentKafka, servesSerializedProtobuf } from './python.js'

const COUNT = 200
let python: string

/** expectedRecord(i) as interop.Order, the way kafkit sends it and hands it to a handler. */
function order(i: number) {
  const r = expectedRecord(i)
  return {
    id: r.id,
    seq: r.seq,
    weight: r.weight,
    express: r.express,
    total: { currency: r.currency, units: r.units },
    tags: r.tags,
    status: r.status,
    attributes: { k: `v${i}` },
    checksum: r.checksum,
    big: r.big,
    lines: [{ sku: r.sku, quantity: r.quantity }],
  }
}

async function contract(topic: string) {
  const protoDir = join(import.meta.dirname, 'proto')
  const file = await loadProtoFile(join(protoDir, 'interop/order.proto'), { includeDirs: [protoDir] })
  return defineTopic({ name: topic, key: string(), value: protobuf<ProtoObject>(file, 'interop.Order', { registry: new SchemaRegistry({ url: inject('kafka').schemaRegistryUrl }) }) })
}

describe('Protobuf interop with Python confluent-kafka', () => {
  beforeAll(async () => {
    python = await pythonWithConfluentKafka()
  }, 660_000)

  test('Python ProtobufSerializer writes 200 records, a kafkit consumer reads each field', async () => {
    const { brokers, schemaRegistryUrl } = inject('kafka')
    const topic = await createTopic('interop-proto-py')
    await pythonProduce(python, 'protobuf', { bootstrap: brokers.join(','), registry: schemaRegistryUrl, topic }, COUNT)
    const registered = await new SchemaRegistry({ url: schemaRegistryUrl }).latest(`${topic}-value`)
    expect(registered).toMatchObject({ schemaType: 'PROTOBUF', references: [{ name: 'interop/money.proto' }] })

    const Orders = await contract(topic)
    const kafka = new Kafkit({ clientId: uniqueName('interop-proto'), brokers })
    const seen = new Map<string, unknown>()
    const consumer = kafka.consumer({ groupId: uniqueName('interop-proto'), fromBeginning: true })
    consumer.handle(Orders, async ({ key, value }) => void seen.set(key, value), { deadLetter: true })
    await consumer.start()
    try {
      await waitFor(() => seen.size >= COUNT, { message: `${COUNT} records from Python`, timeoutMs: 90_000 })
    } finally {
      await consumer.stop()
    }
    for (let i = 0; i < COUNT; i++) expect(seen.get(`r${i}`), `record ${i}`).toEqual(order(i))
  })

  test('kafkit writes 200 records, Python ProtobufDeserializer reads each field', async () => {
    const { brokers, schemaRegistryUrl } = inject('kafka')
    const topic = await createTopic('interop-proto-ts')
    const Orders = await contract(topic)
    const producer = new Kafkit({ clientId: uniqueName('interop-proto'), brokers }).producer()
    try {
      for (let i = 0; i < COUNT; i++) await producer.send(Orders, { key: `r${i}`, value: order(i) })
    } finally {
      await producer.disconnect()
    }
    const id = (await new SchemaRegistry({ url: schemaRegistryUrl }).latest(`${topic}-value`))!.id
    // With a registry client where the registry serves descriptors (Confluent); without one on Apicurio 2.6 (see confluent_interop.py).
    const protobufReader = (await servesSerializedProtobuf(schemaRegistryUrl, id)) ? 'registry' : 'local'
    const records = await pythonConsume(python, 'protobuf', { bootstrap: brokers.join(','), registry: schemaRegistryUrl, topic, group: uniqueName('interop-py'), protobufReader }, COUNT)
    expect(records).toHaveLength(COUNT)
    for (const { key, value } of records) {
      const i = Number(key.slice(1))
      const expected = order(i)
      expect(value, key).toEqual({ ...expected, checksum: [...expected.checksum] })
    }
  })
})
