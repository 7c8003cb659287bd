// Contract: JSON Schema framed records are interchangeable with Confluent's Python serdes (confluent-kafka from PyPI) on the real broker and registry: 200 records JSONSerializer wrote (its JSON Schema registered) reach a kafkit json(zod, { registry }) consumer field by field, and 200 records kafkit wrote are validated against kafkit's registered JSON Schema and read field by field by JSONDeserializer.
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, string } from '@kafkit/core'
import { uniqueName } from '@kafkit/testkit'
import { SchemaRegistry } from '@kafkit/schema-registry'
import { createTopic } from '../../packages/avro/test/integration/kafka-helpers.js'
import { kafkitReadAll, kafkitWriteAll } from './kafkit-side.js'
import { expectedRecord, pythonConsume, pythonProduce, pythonWithConfluentKafka, stopPythonRuns } from './python.js'

const COUNT = 200
let python: string

const Order = z.object({
  id: z.string(),
  seq: z.number().int(),
  weight: z.number(),
  express: z.boolean(),
  tags: z.array(z.string()),
  status: z.enum(['OPEN', 'SHIPPED']),
  units: z.string().regex(/^\d+$/),
})

function order(i: number): z.output<typeof Order> {
  const { id, seq, weight, express, tags, status, units } = expectedRecord(i)
  return { id, seq, weight, express, tags, status, units }
}

function contract(topic: string) {
  return defineTopic({ name: topic, key: string(), value: json(Order, { registry: new SchemaRegistry({ url: inject('kafka').schemaRegistryUrl }) }) })
}

describe('JSON Schema interop with Python confluent-kafka', () => {
  beforeAll(async () => {
    python = await pythonWithConfluentKafka()
  }, 660_000)
  // A run a timed-out test or set-up (pip) left going is killed, not left behind.
  afterEach(stopPythonRuns)
  afterAll(stopPythonRuns)

  test('Python JSONSerializer writes 200 records, a kafkit consumer reads each field', async () => {
    const { brokers, schemaRegistryUrl } = inject('kafka')
    const topic = await createTopic('interop-json-py')
    await pythonProduce(python, 'json', { bootstrap: brokers.join(','), registry: schemaRegistryUrl, topic }, COUNT)
    expect(await new SchemaRegistry({ url: schemaRegistryUrl }).latest(`${topic}-value`)).toMatchObject({ schemaType: 'JSON' })

    const seen = await kafkitReadAll(brokers, contract(topic), COUNT)
    for (let i = 0; i < COUNT; i++) expect(seen.get(`r${i}`), `record ${i}`).toEqual(order(i))
  })

  test('kafkit writes 200 records, Python JSONDeserializer validates and reads each field', async () => {
    const { brokers, schemaRegistryUrl } = inject('kafka')
    const topic = await createTopic('interop-json-ts')
    const Orders = contract(topic)
    await kafkitWriteAll(brokers, Orders, COUNT, order)
    const records = await pythonConsume(python, 'json', { bootstrap: brokers.join(','), registry: schemaRegistryUrl, topic, group: uniqueName('interop-py') }, COUNT)
    expect(records).toHaveLength(COUNT)
    for (const { key, value } of records) expect(value, key).toEqual(order(Number(key.slice(1))))
  })
})
