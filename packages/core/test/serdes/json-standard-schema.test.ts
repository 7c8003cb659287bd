import { describe, expect, test } from 'vitest'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { json, type KafkitError } from '../../src/index.js'

const ctx = { topic: 'readings', field: 'value' } as const

/** A hand-written Standard Schema validator (what valibot or arktype provide): `{ celsius }`, a string number becomes a number. */
const Reading: StandardSchemaV1<{ celsius: number | string }, { celsius: number }> = {
  '~standard': {
    version: 1,
    vendor: 'handmade',
    validate(value) {
      const celsius = (value as { celsius?: unknown } | null)?.celsius
      const parsed = typeof celsius === 'string' ? Number(celsius) : celsius
      if (typeof parsed !== 'number' || Number.isNaN(parsed)) return { issues: [{ message: 'celsius must be a number', path: [{ key: 'celsius' }] }] }
      return { value: { celsius: parsed } }
    },
  },
}

/** An async one: validate returns a Promise. */
const AsyncName: StandardSchemaV1<{ name: string }> = {
  '~standard': {
    version: 1,
    vendor: 'handmade-async',
    validate: async (value) => (typeof (value as { name?: unknown })?.name === 'string' ? { value: value as { name: string } } : { issues: [{ message: 'name required', path: ['name'] }] }),
  },
}

describe('json() with any Standard Schema validator', () => {
  test('encodes the validated output and decodes through the validator', () => {
    const serde = json(Reading)
    const bytes = serde.encode({ celsius: '21.5' }, ctx) as Buffer
    expect(bytes.toString()).toBe('{"celsius":21.5}')
    expect(serde.decode(Buffer.from('{"celsius":"3"}'), ctx)).toEqual({ celsius: 3 })
  })

  test('issues become KAFKIT_VALIDATION with their paths, on encode and decode', () => {
    const serde = json(Reading)
    let error: KafkitError | undefined
    try {
      serde.encode({ celsius: 'warm' }, ctx)
    } catch (e) {
      error = e as KafkitError
    }
    expect(error).toMatchObject({ code: 'KAFKIT_VALIDATION', retriable: false, issues: [{ path: ['celsius'], message: 'celsius must be a number' }] })
    expect(() => serde.decode(Buffer.from('{}'), { ...ctx, partition: 0, offset: '4' })).toThrow(expect.objectContaining({ code: 'KAFKIT_VALIDATION', message: expect.stringContaining('readings[0]@4') }))
  })

  test('an async validator makes encode and decode return Promises', async () => {
    const serde = json(AsyncName)
    const encoded = serde.encode({ name: 'a' }, ctx)
    expect(encoded).toBeInstanceOf(Promise)
    expect((await encoded).toString()).toBe('{"name":"a"}')
    await expect(serde.decode(Buffer.from('{"name":1}'), ctx)).rejects.toMatchObject({ code: 'KAFKIT_VALIDATION', issues: [{ path: ['name'] }] })
  })

  test('something that is not a validator is KAFKIT_CONFIG', () => {
    expect(() => json({} as never)).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
  })
})
