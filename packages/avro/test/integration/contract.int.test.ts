// Contract: an Avro value serde plugs into @kafkit/core's defineTopic: the typed producer sends registry-framed Avro (an invalid value sends nothing), and the kafkit consumer hands typed, decoded values (Date, decimal string) to its handler, with a poison record going to the dead-letter topic.
import { describe, expect, test } from 'vitest'
import { defineTopic, Kafkit, string } from '@kafkit/core'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { avro, SchemaRegistry } from '../../src/index.js'
import { cluster, consumeRaw, createTopic, endOffset, produceRaw } from './kafka-helpers.js'

const paymentSchema = {
  type: 'record',
  name: 'Payment',
  namespace: 'com.kafkit.it',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
} as const

describe('avro() in a topic contract', () => {
  test('typed producer → Kafka → typed consumer, with the registry', async () => {
    const topic = await createTopic('avro-contract')
    const registry = new SchemaRegistry({ url: cluster().schemaRegistryUrl })
    const Payments = defineTopic({ name: topic, key: string(), value: avro(paymentSchema, { registry }) })
    const kafka = new Kafkit({ clientId: uniqueName('avro-contract'), brokers: cluster().brokers })
    const producer = kafka.producer()
    const at = new Date('2025-06-01T10:00:00.000Z')
    try {
      await producer.send(Payments, { key: 'p1', value: { id: 'p1', amount: '12.30', at } })
      // @ts-expect-error amount is a decimal string, not a number: and at run time nothing is sent
      await expect(producer.send(Payments, { key: 'p2', value: { id: 'p2', amount: 12.3, at } })).rejects.toMatchObject({ code: 'KAFKIT_VALIDATION' })
      await producer.send(Payments, { key: 'p3', value: { id: 'p3', amount: '-0.05', at } })
    } finally {
      await producer.disconnect()
    }
    expect(await endOffset(topic)).toBe(2)
    const [raw] = await consumeRaw(topic, 1)
    expect(raw?.value?.[0]).toBe(0)
    expect(raw?.value?.readInt32BE(1)).toBe((await registry.latest(`${topic}-value`))?.id)

    await produceRaw(topic, [{ key: Buffer.from('poison'), value: Buffer.from('not avro') }])
    const seen: { id: string; amount: string; at: Date }[] = []
    const consumer = kafka.consumer({ groupId: uniqueName('avro-contract'), fromBeginning: true })
    consumer.handle(
      Payments,
      async ({ value }) => {
        seen.push(value)
      },
      { deadLetter: true },
    )
    await consumer.start()
    try {
      await waitFor(() => seen.length >= 2, { message: 'two payments handled', timeoutMs: 60_000 })
      const [dead] = await waitFor(async () => {
        const records = await consumeRaw(`${topic}.dlq`, 1, 20_000).catch(() => undefined)
        return records
      }, { timeoutMs: 60_000, message: 'poison record in the DLQ' })
      expect(dead?.value?.toString()).toBe('not avro')
    } finally {
      await consumer.stop()
      await kafka.close()
    }
    expect(seen).toEqual([
      { id: 'p1', amount: '12.30', at },
      { id: 'p3', amount: '-0.05', at },
    ])
    expect(seen[0]?.at).toBeInstanceOf(Date)
  })
})
