import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { json, KafkitError, type RegistrySchema, type SchemaRegistryPort } from '../../src/index.js'

const ctx = { topic: 'orders', field: 'value' } as const
const Order = z.object({ id: z.string(), qty: z.number().int(), note: z.string().default('none') })

/** An in-memory registry port: the unit tests check the serde's framing; the registry itself is tested on Apicurio. */
class MemoryRegistry implements SchemaRegistryPort {
  readonly url = 'memory://'
  readonly subjects = new Map<string, RegistrySchema[]>()
  readonly ids: RegistrySchema[] = []
  calls = 0
  async register(subject: string, schema: RegistrySchema): Promise<number> {
    this.calls++
    const known = this.ids.findIndex((s) => s.schema === schema.schema && s.schemaType === schema.schemaType)
    const id = known >= 0 ? known + 1 : this.ids.push(schema)
    this.subjects.set(subject, [...(this.subjects.get(subject) ?? []), schema])
    return id
  }
  async lookup(subject: string, schema: RegistrySchema): Promise<number | undefined> {
    this.calls++
    return this.subjects.get(subject)?.some((s) => s.schema === schema.schema) ? this.ids.findIndex((s) => s.schema === schema.schema) + 1 : undefined
  }
  async getSchema(id: number): Promise<string> {
    this.calls++
    const found = this.ids[id - 1]
    if (!found) throw new KafkitError('KAFKIT_SERDE_UNKNOWN_SCHEMA', `unknown id ${id}`)
    return found.schema
  }
}

describe('json(schema, { registry })', () => {
  test('registers the input-side JSON Schema (draft-07) as a JSON schema and writes magic byte, id, JSON', async () => {
    const registry = new MemoryRegistry()
    const serde = json(Order, { registry })
    const bytes = await serde.encode({ id: 'o1', qty: 2 }, ctx)
    const [registered] = registry.subjects.get('orders-value') ?? []
    expect(registered?.schemaType).toBe('JSON')
    const schema = JSON.parse(registered?.schema ?? '{}')
    expect(schema).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', required: ['id', 'qty'], additionalProperties: false })
    expect(schema.properties.note).toMatchObject({ type: 'string', default: 'none' })
    expect(bytes[0]).toBe(0)
    expect(bytes.readInt32BE(1)).toBe(1)
    expect(JSON.parse(bytes.subarray(5).toString())).toEqual({ id: 'o1', qty: 2, note: 'none' })
    // Later encodes are synchronous, without registry calls.
    const calls = registry.calls
    expect(serde.encode({ id: 'o2', qty: 1 }, ctx)).toBeInstanceOf(Buffer)
    expect(registry.calls).toBe(calls)
    expect(await serde.decode(bytes, ctx)).toEqual({ id: 'o1', qty: 2, note: 'none' })
  })

  test('wrong magic byte, unknown id and bad JSON are poison codes with topic, partition and offset', async () => {
    const registry = new MemoryRegistry()
    const serde = json(Order, { registry })
    const at = { ...ctx, partition: 3, offset: '12' }
    expect(() => serde.decode(Buffer.from('{"id":"x"}'), at)).toThrow(expect.objectContaining({ code: 'KAFKIT_SERDE_MAGIC_BYTE', context: expect.objectContaining({ partition: 3, offset: '12' }) }))
    const unknown = Buffer.concat([Buffer.from([0, 0, 0, 0, 9]), Buffer.from('{}')])
    await expect(Promise.resolve().then(() => serde.decode(unknown, at))).rejects.toMatchObject({ code: 'KAFKIT_SERDE_UNKNOWN_SCHEMA', context: { topic: 'orders', schemaId: 9, offset: '12' } })
    const good = await serde.encode({ id: 'o1', qty: 2 }, ctx)
    const garbled = Buffer.concat([good.subarray(0, 5), Buffer.from('{"id":')])
    expect(() => serde.decode(garbled, at)).toThrow(expect.objectContaining({ code: 'KAFKIT_SERDE_DECODE' }))
    const invalid = Buffer.concat([good.subarray(0, 5), Buffer.from('{"id":"o1","qty":1.5}')])
    expect(() => serde.decode(invalid, at)).toThrow(expect.objectContaining({ code: 'KAFKIT_VALIDATION' }))
  })

  test('autoRegister: false looks up only and names the subject when the schema is missing', async () => {
    const registry = new MemoryRegistry()
    await expect(Promise.resolve().then(() => json(Order, { registry, autoRegister: false }).encode({ id: 'o', qty: 1 }, ctx))).rejects.toMatchObject({
      code: 'KAFKIT_SERDE_UNKNOWN_SCHEMA',
      context: { subject: 'orders-value' },
    })
    expect(registry.subjects.size).toBe(0)
  })

  test('a subject strategy gets the JSON Schema title as the record name; an explicit jsonSchema is registered as given', async () => {
    const registry = new MemoryRegistry()
    const titled = json(Order.meta({ title: 'shop.Order' }), { registry, subjectStrategy: ({ topic, recordName }) => `${topic}-${recordName}` })
    await titled.encode({ id: 'o', qty: 1 }, ctx)
    expect([...registry.subjects.keys()]).toEqual(['orders-shop.Order'])
    const handWritten = { type: 'object', properties: { id: { type: 'string' } } }
    await json(Order, { registry, jsonSchema: handWritten }).encode({ id: 'o', qty: 1 }, { topic: 'other', field: 'value' })
    expect(JSON.parse(registry.subjects.get('other-value')?.[0]?.schema ?? '')).toEqual(handWritten)
  })

  test('objects are closed, except the halves of an intersection (closed halves would refuse everything)', async () => {
    const registry = new MemoryRegistry()
    const Both = z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() }))
    await json(z.object({ inner: z.object({ x: z.string() }), both: Both }), { registry }).encode({ inner: { x: 'x' }, both: { a: 'a', b: 1 } }, ctx)
    const schema = JSON.parse(registry.ids[0]?.schema ?? '{}')
    expect(schema.additionalProperties).toBe(false)
    expect(schema.properties.inner.additionalProperties).toBe(false)
    // zod may merge the halves into one object: either way nothing in it is closed.
    expect(JSON.stringify(schema.properties.both)).not.toContain('additionalProperties')
  })

  test('a Standard Schema validator without a JSON Schema converter needs options.jsonSchema (KAFKIT_CONFIG on first use)', async () => {
    const registry = new MemoryRegistry()
    const handmade = { '~standard': { version: 1 as const, vendor: 'handmade', validate: (value: unknown) => ({ value }) } }
    await expect(Promise.resolve().then(() => json(handmade, { registry }).encode({ a: 1 }, ctx))).rejects.toMatchObject({ code: 'KAFKIT_CONFIG', message: expect.stringContaining('jsonSchema') })
    const bytes = await json(handmade, { registry, jsonSchema: { type: 'object' } }).encode({ a: 1 }, ctx)
    expect(bytes.subarray(5).toString()).toBe('{"a":1}')
  })

  test('plain json(schema) is unchanged: JSON text, no header', () => {
    expect((json(Order).encode({ id: 'o', qty: 1 }, ctx) as Buffer).toString()).toBe('{"id":"o","qty":1,"note":"none"}')
  })
})
