import { describe, expect, test } from 'vitest'
import { buffer, string } from '../../src/index.js'

const context = { topic: 't', field: 'key' } as const

describe('string', () => {
  test('is UTF-8 both ways', () => {
    const bytes = string().encode('ключ-ü', context) as Buffer
    expect(bytes.equals(Buffer.from([0xd0, 0xba, 0xd0, 0xbb, 0xd1, 0x8e, 0xd1, 0x87, 0x2d, 0xc3, 0xbc]))).toBe(true)
    expect(string().decode(bytes, context)).toBe('ключ-ü')
  })

  test('rejects a non-string at run time (JavaScript callers)', () => {
    expect(() => string().encode(42 as never, context)).toThrow(expect.objectContaining({ code: 'KAFKIT_VALIDATION', context: { topic: 't', field: 'key' } }))
  })
})

describe('buffer', () => {
  test('passes bytes through and accepts a Uint8Array view', () => {
    const source = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4)
    const bytes = buffer().encode(source, context) as Buffer
    expect([...bytes]).toEqual([1, 2, 3])
    expect(buffer().decode(bytes, context)).toBe(bytes)
  })

  test('rejects anything else', () => {
    expect(() => buffer().encode('text' as never, context)).toThrow(expect.objectContaining({ code: 'KAFKIT_VALIDATION' }))
  })
})
