// Contract: json(zodSchema, { registry }) in a topic contract registers the schema's JSON Schema form as a JSON schema on the real registry, the typed producer writes the Confluent wire format, the kafkit consumer hands typed values to its handler, and wrong magic byte, unknown schema id and bytes that are not JSON go to the dead-letter topic with their raw bytes; plain json() on the same topic shape writes no header.
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { defineTopic, json, Kafkit, string } from '@kafkit/core'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { SchemaRegistry } from '../../src/index.js'
import { cluster, consumeRaw, createTopic, produceRaw } from './kafka-helpers.js'

const Order = z.object({
  id: z.string(),
  qty: z.number().int().positive(),
  at: z.coerce.date(),
  tags: z.array(z.string()).default([]),
})

describe('json() with the registry, in a topic contract', () => {
  test('typed producer → Kafka (Confluent JSON framing) → typed consumer; poison records go to the DLQ untouched', async () => {
    const topic = await createTopic('json-contract')
    const registry = new SchemaRegistry({ url: cluster().schemaRegistryUrl })
    const Orders = defineTopic({ name: topic, key: string(), value: json(Order, { registry }) })
    const kafka = new Kafkit({ clientId: uniqueName('json-contract'), brokers: cluster().brokers })
    const producer = kafka.producer()
    const at = new Date('2025-06-01T10:00:00.000Z')
    try {
      await producer.send(Orders, { key: 'o1', value: { id: 'o1', qty: 2, at } })
      // @ts-expect-error qty is a number: and at run time nothing is sent
      await expect(producer.send(Orders, { key: 'o2', value: { id: 'o2', qty: 'two', at } })).rejects.toMatchObject({ code: 'KAFKIT_VALIDATION' })
      await producer.send(Orders, { key: 'o3', value: { id: 'o3', qty: 1, at: at.toISOString(), tags: ['rush'] } })
    } finally {
      await producer.disconnect()
    }

    const latest = await registry.latest(`${topic}-value`)
    expect(latest?.schemaType).toBe('JSON')
    expect(JSON.parse(latest!.schema)).toMatchObject({ type: 'object', required: ['id', 'qty', 'at'], additionalProperties: false, properties: { qty: { type: 'integer' } } })
    const [first] = await consumeRaw(topic, 1)
    expect(first!.value![0]).toBe(0)
    expect(first!.value!.readInt32BE(1)).toBe(latest!.id)
    expect(JSON.parse(first!.value!.subarray(5).toString())).toEqual({ id: 'o1', qty: 2, at: at.toISOString(), tags: [] })

    const unknownId = Buffer.from(first!.value!)
    unknownId.writeInt32BE(2_000_000_003, 1)
    const notJson = Buffer.concat([first!.value!.subarray(0, 5), Buffer.from('{"id":')])
    const poison = [Buffer.from('{"id":"plain json"}'), unknownId, notJson]
    await produceRaw(topic, poison.map((value, i) => ({ key: Buffer.from(`poison-${i}`), value })))

    const seen: z.output<typeof Order>[] = []
    const codes: string[] = []
    const consumer = kafka.consumer({ groupId: uniqueName('json-contract'), fromBeginning: true })
    consumer.on('consumer.poison', (event) => void codes.push(event.errorCode))
    consumer.handle(Orders, async ({ value }) => void seen.push(value), { deadLetter: true })
    await consumer.start()
    try {
      await waitFor(() => seen.length >= 2, { message: 'two orders handled', timeoutMs: 60_000 })
      const dead = await waitFor(() => consumeRaw(`${topic}.dlq`, 3, 20_000).catch(() => undefined), { timeoutMs: 60_000, message: 'three poison records in the DLQ' })
      expect(dead.map((record) => record.value)).toEqual(poison)
    } finally {
      await consumer.stop()
      await kafka.close()
    }
    expect(codes).toEqual(['KAFKIT_SERDE_MAGIC_BYTE', 'KAFKIT_SERDE_UNKNOWN_SCHEMA', 'KAFKIT_SERDE_DECODE'])
    expect(seen).toEqual([
      { id: 'o1', qty: 2, at, tags: [] },
      { id: 'o3', qty: 1, at, tags: ['rush'] },
    ])
    expect(seen[0]?.at).toBeInstanceOf(Date)
  })
})
