// Contract: Avro records are interchangeable with Confluent's Python serdes (confluent-kafka from PyPI) on the real broker and registry: 200 records AvroSerializer wrote reach a kafkit avro(schema, { registry }) consumer field by field, and 200 records kafkit wrote are read field by field by AvroDeserializer.
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest'
import { defineTopic, string } from '@kafkit/core'
import { uniqueName } from '@kafkit/testkit'
import { avro, SchemaRegistry } from '@kafkit/avro'
import { createTopic } from '../../packages/avro/test/integration/kafka-helpers.js'
import { kafkitReadAll, kafkitWriteAll } from './kafkit-side.js'
import { expectedRecord, pythonConsume, pythonProduce, pythonWithConfluentKafka, stopPythonRuns } from './python.js'

const COUNT = 200
let python: string

const schema = {
  type: 'record',
  name: 'Order',
  namespace: 'interop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'seq', type: 'int' },
    { name: 'weight', type: 'double' },
    { name: 'express', type: 'boolean' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['OPEN', 'SHIPPED'] } },
    { name: 'units', type: 'long' },
  ],
} as const

function order(i: number) {
  const { id, seq, weight, express, tags, status, avroUnits } = expectedRecord(i)
  return { id, seq, weight, express, tags, status, units: avroUnits }
}

function contract(topic: string) {
  return defineTopic({ name: topic, key: string(), value: avro(schema, { registry: new SchemaRegistry({ url: inject('kafka').schemaRegistryUrl }) }) })
}

describe('Avro interop with Python confluent-kafka', () => {
  beforeAll(async () => {
    python = await pythonWithConfluentKafka()
  }, 660_000)
  // A run a timed-out test or set-up (pip) left going is killed, not left behind.
  afterEach(stopPythonRuns)
  afterAll(stopPythonRuns)

  test('Python AvroSerializer writes 200 records, a kafkit consumer reads each field', async () => {
    const { brokers, schemaRegistryUrl } = inject('kafka')
    const topic = await createTopic('interop-avro-py')
    await pythonProduce(python, 'avro', { bootstrap: brokers.join(','), registry: schemaRegistryUrl, topic }, COUNT)
    const seen = await kafkitReadAll(brokers, contract(topic), COUNT)
    for (let i = 0; i < COUNT; i++) expect(seen.get(`r${i}`), `record ${i}`).toEqual(order(i))
  })

  test('kafkit writes 200 records, Python AvroDeserializer reads each field', async () => {
    const { brokers, schemaRegistryUrl } = inject('kafka')
    const topic = await createTopic('interop-avro-ts')
    const Orders = contract(topic)
    await kafkitWriteAll(brokers, Orders, COUNT, order)
    const records = await pythonConsume(python, 'avro', { bootstrap: brokers.join(','), registry: schemaRegistryUrl, topic, group: uniqueName('interop-py') }, COUNT)
    expect(records).toHaveLength(COUNT)
    for (const { key, value } of records) expect(value, key).toEqual(order(Number(key.slice(1))))
  })
})
