// Contract: a generated Protobuf message type in a topic contract: the typed producer registers the file and its import (as a reference) and sends Confluent-framed bytes with message indexes; the kafkit consumer hands typed values to its handler, and wrong magic byte, unknown schema id and undecodable bytes go to the dead-letter topic with their raw bytes; @kafkajs/confluent-schema-registry reads the same bytes.
import { SchemaRegistry as ReferenceRegistry } from '@kafkajs/confluent-schema-registry'
import { describe, expect, onTestFinished, test } from 'vitest'
import { defineTopic, Kafkit, string } from '@kafkit/core'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { protobuf, protoFile, SchemaRegistry } from '../../src/index.js'
import { Payment, Refund, type Payment as PaymentValue } from '../fixtures/generated/payment.js'
import { cluster, consumeRaw, createTopic, produceRaw } from './kafka-helpers.js'

describe('protobuf() in a topic contract', () => {
  test('typed producer → Kafka → typed consumer; poison records go to the DLQ untouched', async () => {
    const topic = await createTopic('proto-contract')
    const registry = new SchemaRegistry({ url: cluster().schemaRegistryUrl })
    const Payments = defineTopic({ name: topic, key: string(), value: protobuf(Payment, { registry }) })
    const kafka = new Kafkit({ clientId: uniqueName('proto-contract'), brokers: cluster().brokers })
    onTestFinished(() => kafka.close())
    const producer = kafka.producer()
    const sent = [
      { id: 'p1', amount: { currency: 'EUR', units: '9007199254740993', nanos: 10 }, method: 'CARD' as const, tags: ['web'], attributes: { shop: 'n' }, sequence: 1n, card_token: 'tok' },
      { id: 'p2', method: 'TRANSFER' as const, lines: [{ sku: 'a', quantity: 3 }], account: 'NO93', note: 'gift' },
    ]
    try {
      for (const value of sent) await producer.send(Payments, { key: value.id, value })
      // @ts-expect-error quantity is a number: and at run time nothing is sent
      await expect(producer.send(Payments, { key: 'bad', value: { lines: [{ quantity: 'many' }] } })).rejects.toMatchObject({ code: 'KAFKIT_VALIDATION' })
    } finally {
      await producer.disconnect()
    }

    // The file and its import are registered, the import as a reference of the file's subject.
    const latest = await registry.latest(`${topic}-value`)
    expect(latest).toMatchObject({ schemaType: 'PROTOBUF', references: [{ name: 'shop/money.proto', subject: 'shop/money.proto' }] })
    expect(await registry.getVersion('shop/money.proto', latest!.references[0]!.version)).toMatchObject({ schemaType: 'PROTOBUF' })
    const [first] = await consumeRaw(topic, 1)
    // magic 0, the id, message indexes [1] (Payment is the file's second message) as zigzag: 02 02
    expect(first!.value!.subarray(0, 7).toString('hex')).toBe(`00${latest!.id.toString(16).padStart(8, '0')}0202`)

    const good = first!.value!
    const unknownId = Buffer.from(good)
    unknownId.writeInt32BE(2_000_000_002, 1)
    const garbled = Buffer.concat([good.subarray(0, 7), Buffer.from([0x0a, 0xff, 0xff, 0xff])])
    const poison = [Buffer.from('{"id":"json"}'), unknownId, garbled]
    await produceRaw(topic, poison.map((value, i) => ({ key: Buffer.from(`poison-${i}`), value })))

    const seen: PaymentValue[] = []
    const consumer = kafka.consumer({ groupId: uniqueName('proto-contract'), fromBeginning: true })
    const codes: string[] = []
    consumer.on('consumer.poison', (event) => void codes.push(event.errorCode))
    consumer.handle(Payments, async ({ value }) => void seen.push(value), { deadLetter: true })
    await consumer.start()
    try {
      await waitFor(() => seen.length >= 2, { message: 'two payments handled', timeoutMs: 60_000 })
      const dead = await waitFor(() => consumeRaw(`${topic}.dlq`, 3, 20_000).catch(() => undefined), { timeoutMs: 60_000, message: 'three poison records in the DLQ' })
      expect(dead.map((record) => record.value)).toEqual(poison)
      expect(dead.map((record) => record.key?.toString())).toEqual(['poison-0', 'poison-1', 'poison-2'])
    } finally {
      await consumer.stop()
    }
    expect(codes).toEqual(['KAFKIT_SERDE_MAGIC_BYTE', 'KAFKIT_SERDE_UNKNOWN_SCHEMA', 'KAFKIT_SERDE_DECODE'])
    expect(seen[0]).toMatchObject({ id: 'p1', amount: { currency: 'EUR', units: '9007199254740993', nanos: 10 }, method: 'CARD', tags: ['web'], attributes: { shop: 'n' }, sequence: '1', card_token: 'tok' })
    expect(seen[0]).not.toHaveProperty('account')
    expect(seen[1]).toMatchObject({ id: 'p2', method: 'TRANSFER', lines: [{ sku: 'a', quantity: 3 }], account: 'NO93', note: 'gift', sequence: '0', tags: [] })
    expect(seen[1]).not.toHaveProperty('amount')
  })

  test('@kafkajs/confluent-schema-registry decodes what kafkit writes (first message of a file, index [0], with a reference)', async () => {
    const url = cluster().schemaRegistryUrl
    const topic = await createTopic('proto-reference')
    const money = Payment.file.imports![0]!
    // That library takes the file's first declaration as the message and writes no message
    // indexes itself, so only this direction, with a message first in its file, is compared.
    const ping = protoFile('interop/ping.proto', 'syntax = "proto3";\npackage interop;\nimport "shop/money.proto";\nmessage Ping { string from = 1; shop.common.Money cost = 2; }\n', [money])
    const bytes = await protobuf(ping, 'interop.Ping', { registry: new SchemaRegistry({ url }) }).encode({ from: 'kafkit', cost: { currency: 'EUR', units: 3 } }, { topic, field: 'value' })
    expect(bytes[5]).toBe(0)
    const decoded = (await new ReferenceRegistry({ host: url }).decode(bytes)) as unknown as { toJSON(): unknown }
    expect(decoded.toJSON()).toEqual({ from: 'kafkit', cost: { currency: 'EUR', units: '3' } })
  })

  test('a reader of another message type of the same file refuses the record (KAFKIT_SCHEMA_INCOMPATIBLE)', async () => {
    const url = cluster().schemaRegistryUrl
    const topic = await createTopic('proto-other-type')
    const bytes = await protobuf(Refund, { registry: new SchemaRegistry({ url }) }).encode({ reason: 'x' }, { topic, field: 'value' })
    const reader = protobuf(Payment, { registry: new SchemaRegistry({ url }) })
    await expect(Promise.resolve().then(() => reader.decode(bytes, { topic, field: 'value' }))).rejects.toMatchObject({
      code: 'KAFKIT_SCHEMA_INCOMPATIBLE',
      message: expect.stringContaining('is a shop.Refund'),
    })
  })
})
