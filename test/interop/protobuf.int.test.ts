// Contract: Protobuf bytes are interchangeable with Confluent's Python serdes (confluent-kafka from PyPI) on the real broker and registry: 200 records ProtobufSerializer wrote (base64 descriptor registered, a reference for the import) reach a kafkit consumer field by field, and 200 records kafkit wrote are read field by field by ProtobufDeserializer (with a registry client where the registry serves descriptors, without on Apicurio 2.6); for interop.Order.Line, nested after a map field, both sides write the message indexes protoc numbers ([0, 1]: the map's entry type counts).
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest'
import { buffer, defineTopic, string } from '@kafkit/core'
import { uniqueName } from '@kafkit/testkit'
import { loadProtoFile, protobuf, SchemaRegistry, type ProtoObject } from '@kafkit/protobuf'
import { createTopic } from '../../packages/avro/test/integration/kafka-helpers.js'
import { indexResolver } from '../../packages/protobuf/src/internal/parse.js'
import { readFrame } from '../../packages/protobuf/src/internal/wire-format.js'
import { kafkitReadAll, kafkitWriteAll } from './kafkit-side.js'
import { expectedRecord, pythonConsume, pythonProduce, pythonWithConfluentKafka, servesSerializedProtobuf, stopPythonRuns } from './python.js'

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

/** expectedRecord(i) as interop.Order.Line. */
function line(i: number) {
  const r = expectedRecord(i)
  return { sku: r.sku, quantity: r.quantity }
}

/** protoc numbers Order's nested types [AttributesEntry (map field 8), Line]: Line is [0, 1]. */
const LINE_INDEXES = [0, 1]

async function orderFile() {
  const protoDir = join(import.meta.dirname, 'proto')
  return loadProtoFile(join(protoDir, 'interop/order.proto'), { includeDirs: [protoDir] })
}

async function contract(topic: string, message = 'interop.Order') {
  return defineTopic({ name: topic, key: string(), value: protobuf<ProtoObject>(await orderFile(), message, { registry: new SchemaRegistry({ url: inject('kafka').schemaRegistryUrl }) }) })
}

describe('Protobuf interop with Python confluent-kafka', () => {
  beforeAll(async () => {
    python = await pythonWithConfluentKafka()
  }, 660_000)
  // A run a timed-out test or set-up (pip) left going is killed, not left behind.
  afterEach(stopPythonRuns)
  afterAll(stopPythonRuns)

  test('Python ProtobufSerializer writes 200 records, a kafkit consumer reads each field', async () => {
    const { brokers, schemaRegistryUrl } = inject('kafka')
    const topic = await createTopic('interop-proto-py')
    await pythonProduce(python, 'protobuf', { bootstrap: brokers.join(','), registry: schemaRegistryUrl, topic }, COUNT)
    const registered = await new SchemaRegistry({ url: schemaRegistryUrl }).latest(`${topic}-value`)
    expect(registered).toMatchObject({ schemaType: 'PROTOBUF', references: [{ name: 'interop/money.proto' }] })

    const Orders = await contract(topic)
    const seen = await kafkitReadAll(brokers, Orders, COUNT)
    for (let i = 0; i < COUNT; i++) expect(seen.get(`r${i}`), `record ${i}`).toEqual(order(i))
  })

  test('kafkit writes 200 records, Python ProtobufDeserializer reads each field', async () => {
    const { brokers, schemaRegistryUrl } = inject('kafka')
    const topic = await createTopic('interop-proto-ts')
    const Orders = await contract(topic)
    await kafkitWriteAll(brokers, Orders, COUNT, order)
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

  test('Python writes 200 interop.Order.Line records (nested after a map field): indexes [0, 1], kafkit reads each field', async () => {
    const { brokers, schemaRegistryUrl } = inject('kafka')
    const topic = await createTopic('interop-proto-py-line')
    await pythonProduce(python, 'protobuf-line', { bootstrap: brokers.join(','), registry: schemaRegistryUrl, topic }, COUNT)

    // Raw frames first, so a failure shows the indexes rather than a dead letter.
    const raw = (await kafkitReadAll(brokers, defineTopic({ name: topic, key: string(), value: buffer() }), COUNT)) as Map<string, Buffer>

    const Lines = await contract(topic, 'interop.Order.Line')
    // The registry may serve Python's schema as a descriptor (read by the descriptor resolver);
    // the same indexes must name Line in the .proto text, which Java and kafkit register.
    const byText = indexResolver((await orderFile()).source)
    for (let i = 0; i < COUNT; i++) {
      const bytes = raw.get(`r${i}`)!
      expect(readFrame(bytes).indexes, `record ${i}`).toEqual(LINE_INDEXES)
      expect(byText(readFrame(bytes).indexes), `record ${i}`).toBe('interop.Order.Line')
      expect(await Lines.value.decode(bytes, { topic, field: 'value' }), `record ${i}`).toEqual(line(i))
    }
  })

  test('kafkit writes 200 interop.Order.Line records: indexes [0, 1] as Python writes them, Python reads each field', async () => {
    const { brokers, schemaRegistryUrl } = inject('kafka')
    const topic = await createTopic('interop-proto-ts-line')
    const Lines = await contract(topic, 'interop.Order.Line')
    await kafkitWriteAll(brokers, Lines, COUNT, line)
    const id = (await new SchemaRegistry({ url: schemaRegistryUrl }).latest(`${topic}-value`))!.id
    const protobufReader = (await servesSerializedProtobuf(schemaRegistryUrl, id)) ? 'registry' : 'local'
    const records = await pythonConsume(python, 'protobuf-line', { bootstrap: brokers.join(','), registry: schemaRegistryUrl, topic, group: uniqueName('interop-py'), protobufReader }, COUNT)
    expect(records).toHaveLength(COUNT)
    for (const { key, value, indexes, python_indexes } of records) {
      expect(python_indexes, 'what Python writes for Order.Line').toEqual(LINE_INDEXES)
      expect(indexes, key).toEqual(LINE_INDEXES)
      expect(value, key).toEqual(line(Number(key.slice(1))))
    }
  })
})
