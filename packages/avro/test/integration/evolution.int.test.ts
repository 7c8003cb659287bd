// Contract: under a BACKWARD subject, adding a field with a default is accepted and both generations read each other's data through Kafka, while an incompatible change is refused with KAFKIT_SCHEMA_INCOMPATIBLE and nothing reaches the topic.
import { describe, expect, test } from 'vitest'
import { isKafkitError } from '@kafkit/core'
import { avro, SchemaRegistry } from '../../src/index.js'
import { cluster, consumeRaw, createTopic, endOffset, produceRaw } from './kafka-helpers.js'

const v1 = {
  type: 'record',
  name: 'Profile',
  namespace: 'com.kafkit.it',
  fields: [
    { name: 'userId', type: 'string' },
    { name: 'visits', type: 'int' },
  ],
} as const

const v2 = {
  ...v1,
  fields: [...v1.fields, { name: 'country', type: 'string', default: 'unknown' }],
} as const

describe('schema evolution', () => {
  test('old readers read new data and new readers read old data (field added with a default)', async () => {
    const url = cluster().schemaRegistryUrl
    const topic = await createTopic('avro-evolve')
    const registry = new SchemaRegistry({ url })
    await registry.setCompatibility(`${topic}-value`, 'BACKWARD')

    const oldWriter = avro(v1, { registry })
    const newWriter = avro(v2, { registry })
    const oldBytes = await oldWriter.encode({ userId: 'u1', visits: 1 }, { topic, field: 'value' })
    expect((await registry.checkCompatibility(`${topic}-value`, v2)).compatible).toBe(true)
    const newBytes = await newWriter.encode({ userId: 'u2', visits: 2, country: 'NO' }, { topic, field: 'value' })
    expect(newBytes.readInt32BE(1)).not.toBe(oldBytes.readInt32BE(1))
    await produceRaw(topic, [{ value: oldBytes }, { value: newBytes }])
    const [oldRecord, newRecord] = await consumeRaw(topic, 2)

    // Readers in other services: each with a fresh registry client, so ids are resolved from the registry.
    const oldReader = avro(v1, { registry: new SchemaRegistry({ url }) })
    const newReader = avro(v2, { registry: new SchemaRegistry({ url }) })
    const ctx = { topic, field: 'value' as const }
    expect(await oldReader.decode(oldRecord!.value!, ctx)).toEqual({ userId: 'u1', visits: 1 })
    expect(await oldReader.decode(newRecord!.value!, ctx)).toEqual({ userId: 'u2', visits: 2 })
    expect(await newReader.decode(oldRecord!.value!, ctx)).toEqual({ userId: 'u1', visits: 1, country: 'unknown' })
    expect(await newReader.decode(newRecord!.value!, ctx)).toEqual({ userId: 'u2', visits: 2, country: 'NO' })
  })

  test('an incompatible change is refused with a clear error, and nothing is produced', async () => {
    const url = cluster().schemaRegistryUrl
    const topic = await createTopic('avro-incompatible')
    const subject = `${topic}-value`
    const registry = new SchemaRegistry({ url })
    await registry.setCompatibility(subject, 'BACKWARD')
    expect(await registry.getCompatibility(subject)).toBe('BACKWARD')

    const first = await avro(v1, { registry }).encode({ userId: 'u1', visits: 1 }, { topic, field: 'value' })
    await produceRaw(topic, [{ value: first }])

    // `visits` becomes a string: old data could no longer be read.
    const broken = { ...v1, fields: [v1.fields[0], { name: 'visits', type: 'string' }] } as const
    const verdict = await registry.checkCompatibility(subject, broken)
    expect(verdict).toMatchObject({ compatible: false, subjectExists: true })
    expect(verdict.messages.join(' ')).toMatch(/visits|fields\/1/)

    let error: unknown
    try {
      const bytes = await avro(broken, { registry }).encode({ userId: 'u2', visits: 'many' }, { topic, field: 'value' })
      await produceRaw(topic, [{ value: bytes }])
    } catch (e) {
      error = e
    }
    expect(isKafkitError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'KAFKIT_SCHEMA_INCOMPATIBLE', retriable: false, context: { topic, subject } })
    expect((error as Error).message).toContain(`subject "${subject}"`)

    // Only the first record is on the topic (acks=all produce, so the end offset is final).
    expect(await endOffset(topic)).toBe(1)
    const [only] = await consumeRaw(topic, 1)
    expect(only?.value).toEqual(first)
  })

  test('a reader whose schema cannot read the writer’s gets KAFKIT_SCHEMA_INCOMPATIBLE', async () => {
    const url = cluster().schemaRegistryUrl
    const topic = await createTopic('avro-unreadable')
    const bytes = await avro(v1, { registry: new SchemaRegistry({ url }) }).encode({ userId: 'u', visits: 3 }, { topic, field: 'value' })
    const needsMore = { ...v1, fields: [...v1.fields, { name: 'required', type: 'long' }] } as const
    const reader = avro(needsMore, { registry: new SchemaRegistry({ url }) })
    await expect(Promise.resolve().then(() => reader.decode(bytes, { topic, field: 'value' }))).rejects.toMatchObject({
      code: 'KAFKIT_SCHEMA_INCOMPATIBLE',
      context: { topic, schemaId: bytes.readInt32BE(1) },
    })
  })
})
