import type { StandardSchemaV1 } from '@standard-schema/spec'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { json, type SerdeInput, type SerdeOutput } from '../../src/index.js'

describe('json() types', () => {
  test('zod: producers send the input type, consumers get the output type', () => {
    const serde = json(z.object({ at: z.coerce.date(), n: z.number().default(1) }))
    expectTypeOf<SerdeInput<typeof serde>>().toEqualTypeOf<{ at: unknown; n?: number | undefined }>()
    expectTypeOf<SerdeOutput<typeof serde>>().toEqualTypeOf<{ at: Date; n: number }>()
  })

  test('any Standard Schema validator: its input and output types', () => {
    const Reading = {} as StandardSchemaV1<{ celsius: number | string }, { celsius: number }>
    const serde = json(Reading)
    expectTypeOf<SerdeInput<typeof serde>>().toEqualTypeOf<{ celsius: number | string }>()
    expectTypeOf<SerdeOutput<typeof serde>>().toEqualTypeOf<{ celsius: number }>()
  })

  test('a non-validator does not compile', () => {
    // @ts-expect-error a plain object is not a Standard Schema validator
    json({ type: 'object' })
  })
})
