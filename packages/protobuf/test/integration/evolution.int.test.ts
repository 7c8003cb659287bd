// Contract: under a BACKWARD subject, adding a Protobuf field is accepted and old and new readers read each other's data through Kafka (the new field's default for old data), while changing a field's type is refused by registration (KAFKIT_SCHEMA_INCOMPATIBLE with the registry's reason) and by the compatibility check, and nothing reaches the topic.
import { describe, expect, test } from 'vitest'
import { isKafkitError } from '@kafkit/core'
import { protobuf, protoFile, SchemaRegistry } from '../../src/index.js'
import { cluster, consumeRaw, createTopic, endOffset, produceRaw } from './kafka-helpers.js'

const v1 = protoFile('evolve/profile.proto', 'syntax = "proto3";\npackage evolve;\n\nmessage Profile {\n  string user_id = 1;\n  int32 visits = 2;\n}\n')
const v2 = protoFile('evolve/profile.proto', 'syntax = "proto3";\npackage evolve;\n\nmessage Profile {\n  string user_id = 1;\n  int32 visits = 2;\n  string country = 3;\n}\n')
const broken = protoFile('evolve/profile.proto', 'syntax = "proto3";\npackage evolve;\n\nmessage Profile {\n  string user_id = 1;\n  string visits = 2;\n}\n')

describe('protobuf schema evolution', () => {
  test('a field added: old readers read new data, new readers read old data', async () => {
    const url = cluster().schemaRegistryUrl
    const topic = await createTopic('proto-evolve')
    const registry = new SchemaRegistry({ url })
    await registry.setCompatibility(`${topic}-value`, 'BACKWARD')
    const ctx = { topic, field: 'value' as const }

    const oldBytes = await protobuf(v1, 'evolve.Profile', { registry }).encode({ user_id: 'u1', visits: 1 }, ctx)
    expect((await registry.checkCompatibility(`${topic}-value`, { schema: v2.source, schemaType: 'PROTOBUF' })).compatible).toBe(true)
    const newBytes = await protobuf(v2, 'evolve.Profile', { registry }).encode({ user_id: 'u2', visits: 2, country: 'NO' }, ctx)
    expect(newBytes.readInt32BE(1)).not.toBe(oldBytes.readInt32BE(1))
    await produceRaw(topic, [{ value: oldBytes }, { value: newBytes }])
    const [oldRecord, newRecord] = await consumeRaw(topic, 2)

    // Readers in other services, each with a fresh registry client.
    const oldReader = protobuf(v1, 'evolve.Profile', { registry: new SchemaRegistry({ url }) })
    const newReader = protobuf(v2, 'evolve.Profile', { registry: new SchemaRegistry({ url }) })
    expect(await oldReader.decode(oldRecord!.value!, ctx)).toEqual({ user_id: 'u1', visits: 1 })
    expect(await oldReader.decode(newRecord!.value!, ctx)).toEqual({ user_id: 'u2', visits: 2 })
    expect(await newReader.decode(oldRecord!.value!, ctx)).toEqual({ user_id: 'u1', visits: 1, country: '' })
    expect(await newReader.decode(newRecord!.value!, ctx)).toEqual({ user_id: 'u2', visits: 2, country: 'NO' })
  })

  test('a field whose type changes is refused with the reason, and nothing is produced', async () => {
    const url = cluster().schemaRegistryUrl
    const topic = await createTopic('proto-incompatible')
    const subject = `${topic}-value`
    const registry = new SchemaRegistry({ url })
    await registry.setCompatibility(subject, 'BACKWARD')
    const first = await protobuf(v1, 'evolve.Profile', { registry }).encode({ user_id: 'u1', visits: 1 }, { topic, field: 'value' })
    await produceRaw(topic, [{ value: first }])

    const verdict = await registry.checkCompatibility(subject, { schema: broken.source, schemaType: 'PROTOBUF' })
    expect(verdict).toMatchObject({ compatible: false, subjectExists: true })
    expect(verdict.messages.join(' ')).toMatch(/not backward compatible/)

    let error: unknown
    try {
      const bytes = await protobuf(broken, 'evolve.Profile', { registry }).encode({ user_id: 'u2', visits: 'many' }, { topic, field: 'value' })
      await produceRaw(topic, [{ value: bytes }])
    } catch (e) {
      error = e
    }
    expect(isKafkitError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'KAFKIT_SCHEMA_INCOMPATIBLE', retriable: false, context: { topic, subject } })
    expect((error as Error).message).toMatch(new RegExp(`subject "${subject}".*not backward compatible`))
    expect(await endOffset(topic)).toBe(1)
  })
})
