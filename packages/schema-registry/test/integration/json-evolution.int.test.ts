// Contract: under a BACKWARD subject, a JSON contract that gains a field with a default is accepted by the real registry and old and new consumers both read old and new records, while changing a field's type is refused by registration (KAFKIT_SCHEMA_INCOMPATIBLE with the registry's reason) and by the compatibility check, and nothing reaches the topic.
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { isKafkitError, json } from '@kafkit/core'
import { SchemaRegistry } from '../../src/index.js'
import { cluster, consumeRaw, createTopic, endOffset, produceRaw } from './kafka-helpers.js'

const v1 = z.object({ userId: z.string(), visits: z.number().int() })
const v2 = z.object({ userId: z.string(), visits: z.number().int(), country: z.string().default('unknown') })
const broken = z.object({ userId: z.string(), visits: z.string() })

describe('JSON Schema evolution', () => {
  test('a field added with a default: old readers read new data, new readers read old data', async () => {
    const url = cluster().schemaRegistryUrl
    const topic = await createTopic('json-evolve')
    const registry = new SchemaRegistry({ url })
    await registry.setCompatibility(`${topic}-value`, 'BACKWARD')
    const ctx = { topic, field: 'value' as const }

    const oldBytes = await json(v1, { registry }).encode({ userId: 'u1', visits: 1 }, ctx)
    const newBytes = await json(v2, { registry }).encode({ userId: 'u2', visits: 2, country: 'NO' }, ctx)
    expect(newBytes.readInt32BE(1)).not.toBe(oldBytes.readInt32BE(1))
    expect((await registry.latest(`${topic}-value`))?.version).toBe(2)
    await produceRaw(topic, [{ value: oldBytes }, { value: newBytes }])
    const [oldRecord, newRecord] = await consumeRaw(topic, 2)

    const oldReader = json(v1, { registry: new SchemaRegistry({ url }) })
    const newReader = json(v2, { registry: new SchemaRegistry({ url }) })
    expect(await oldReader.decode(oldRecord!.value!, ctx)).toEqual({ userId: 'u1', visits: 1 })
    // zod strips the key the old contract does not know.
    expect(await oldReader.decode(newRecord!.value!, ctx)).toEqual({ userId: 'u2', visits: 2 })
    expect(await newReader.decode(oldRecord!.value!, ctx)).toEqual({ userId: 'u1', visits: 1, country: 'unknown' })
    expect(await newReader.decode(newRecord!.value!, ctx)).toEqual({ userId: 'u2', visits: 2, country: 'NO' })
  })

  test('a field whose type changes is refused with the reason, and nothing is produced', async () => {
    const url = cluster().schemaRegistryUrl
    const topic = await createTopic('json-incompatible')
    const subject = `${topic}-value`
    const registry = new SchemaRegistry({ url })
    await registry.setCompatibility(subject, 'BACKWARD')
    await produceRaw(topic, [{ value: await json(v1, { registry }).encode({ userId: 'u1', visits: 1 }, { topic, field: 'value' }) }])

    const brokenSchema = { schema: JSON.stringify(z.toJSONSchema(broken, { target: 'draft-7', io: 'input' })), schemaType: 'JSON' as const }
    const verdict = await registry.checkCompatibility(subject, brokenSchema)
    expect(verdict).toMatchObject({ compatible: false, subjectExists: true })
    expect(verdict.messages.join(' ')).toMatch(/visits/)

    let error: unknown
    try {
      await produceRaw(topic, [{ value: await json(broken, { registry }).encode({ userId: 'u2', visits: 'many' }, { topic, field: 'value' }) }])
    } catch (e) {
      error = e
    }
    expect(isKafkitError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'KAFKIT_SCHEMA_INCOMPATIBLE', retriable: false, context: { topic, subject } })
    expect((error as Error).message).toMatch(/\/properties\/visits/)
    expect(await endOffset(topic)).toBe(1)
  })
})
