import { describe, expect, test, vi } from 'vitest'
import { protoFile } from '../../src/index.js'
import { indexResolver, messageIndexes } from '../../src/internal/parse.js'

// The source scanner made to miss a map field: the check against protobufjs must catch it.
vi.mock('../../src/internal/nested-types.js', async (original) => {
  const actual = await original<typeof import('../../src/internal/nested-types.js')>()
  return { ...actual, messageSlots: (source: string) => actual.messageSlots(source).map((slot) => ({ ...slot, nested: slot.nested.filter((inner) => !inner.mapEntry) })) }
})

describe('numbering is checked against protobufjs', () => {
  test('a scanner that disagrees with protobufjs is an error, not indexes', () => {
    const file = protoFile('m.proto', 'syntax = "proto3"; package m; message M { map<string, string> tags = 1; message Inner {} }')
    expect(() => messageIndexes(file, 'm.M.Inner')).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG', message: expect.stringContaining('cannot number the nested messages of m.M') }))
    expect(() => indexResolver(file.source)).toThrow(/cannot number/)
  })
})
