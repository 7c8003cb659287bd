// Contract: lookup-only serdes never register and fail clearly for an unregistered schema; poison bytes read from a real topic fail with KAFKIT_SERDE_MAGIC_BYTE, KAFKIT_SERDE_UNKNOWN_SCHEMA or KAFKIT_SERDE_DECODE (never retriable), carrying topic, partition and offset.
import { describe, expect, test } from 'vitest'
import type { KafkitError } from '@kafkit/core'
import { avro, SchemaRegistry } from '../../src/index.js'
import { cluster, consumeRaw, createTopic, produceRaw } from './kafka-helpers.js'

const schema = { type: 'record', name: 'Reading', namespace: 'com.kafkit.it', fields: [{ name: 'sensor', type: 'string' }, { name: 'celsius', type: 'double' }] } as const

async function failure(fn: () => unknown): Promise<KafkitError> {
  try {
    await fn()
  } catch (error) {
    return error as KafkitError
  }
  throw new Error('expected a failure')
}

describe('lookup-only mode (autoRegister: false)', () => {
  test('an unregistered schema fails with KAFKIT_SERDE_UNKNOWN_SCHEMA naming the subject, and registers nothing', async () => {
    const registry = new SchemaRegistry({ url: cluster().schemaRegistryUrl })
    const topic = await createTopic('avro-lookup')
    const serde = avro(schema, { registry, autoRegister: false })
    const error = await failure(() => serde.encode({ sensor: 's1', celsius: 21.5 }, { topic, field: 'value' }))
    expect(error).toMatchObject({ code: 'KAFKIT_SERDE_UNKNOWN_SCHEMA', retriable: false, context: { topic, subject: `${topic}-value` } })
    expect(error.message).toContain(`subject "${topic}-value"`)
    expect(error.message).toContain('autoRegister is off')
    expect(await registry.latest(`${topic}-value`)).toBeUndefined()

    // Registered by CI: the same serde instance now finds it and uses its id.
    const id = await new SchemaRegistry({ url: cluster().schemaRegistryUrl }).register(`${topic}-value`, schema)
    const bytes = await serde.encode({ sensor: 's1', celsius: 21.5 }, { topic, field: 'value' })
    expect(bytes.readInt32BE(1)).toBe(id)
  })
})

describe('poison bytes on a real topic', () => {
  test('wrong magic byte, unknown schema id and a garbled body give their codes with topic/partition/offset', async () => {
    const registry = new SchemaRegistry({ url: cluster().schemaRegistryUrl })
    const topic = await createTopic('avro-poison')
    const serde = avro(schema, { registry })
    const good = await serde.encode({ sensor: 's', celsius: 1 }, { topic, field: 'value' })
    const unknownId = Buffer.from(good)
    unknownId.writeInt32BE(2_000_000_001, 1)
    const garbled = Buffer.concat([good.subarray(0, 5), Buffer.from([0x7f, 0x01])])
    await produceRaw(topic, [{ value: Buffer.from('{"sensor":"json"}') }, { value: unknownId }, { value: garbled }, { value: good }])
    const records = await consumeRaw(topic, 4)

    const reader = avro(schema, { registry: new SchemaRegistry({ url: cluster().schemaRegistryUrl }) })
    const decode = (i: number) => failure(() => reader.decode(records[i]!.value!, { topic, field: 'value', partition: records[i]!.partition, offset: records[i]!.offset }))

    const magic = await decode(0)
    expect(magic).toMatchObject({ code: 'KAFKIT_SERDE_MAGIC_BYTE', retriable: false, context: { topic, partition: 0, offset: '0' } })
    const unknown = await decode(1)
    expect(unknown).toMatchObject({ code: 'KAFKIT_SERDE_UNKNOWN_SCHEMA', retriable: false, context: { topic, offset: '1', schemaId: 2_000_000_001 } })
    const body = await decode(2)
    expect(body).toMatchObject({ code: 'KAFKIT_SERDE_DECODE', retriable: false, context: { topic, offset: '2' } })
    // The good record after them still decodes.
    expect(await reader.decode(records[3]!.value!, { topic, field: 'value' })).toEqual({ sensor: 's', celsius: 1 })
  })
})
