import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadProtoFile, protoFile } from '../../src/index.js'
import { indexResolver, messageIndexes } from '../../src/internal/parse.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures')

/**
 * The FileDescriptorProto protoc writes for a fixture, base64 as Python's serializer registers it.
 * Made with `python -m grpc_tools.protoc -I. --descriptor_set_out=…` (file[0]) in fixtures/nested.
 */
function descriptorOf(name: string): string {
  return readFileSync(join(fixtures, 'nested', `${name}.descriptor.b64`), 'utf8')
}

/** protoc's numbering of fixtures/nested/outer.proto (its descriptor lists them so: checked by hand and against protoc). */
const OUTER: [string, number[]][] = [
  ['nested.Outer', [0]],
  ['nested.Outer.Before', [0, 0]],
  ['nested.Outer.CountsEntry', [0, 1]],
  ['nested.Outer.After', [0, 2]],
  ['nested.Outer.ByKeyEntry', [0, 3]],
  ['nested.Outer.Last', [0, 4]],
  ['nested.Outer.Last.LabelsV2Entry', [0, 4, 0]],
  ['nested.Outer.Last.Deep', [0, 4, 1]],
  ['nested.Outer.Last.Deep.RawDataEntry', [0, 4, 1, 0]],
  ['nested.Outer.Last.Deep.SecondEntry', [0, 4, 1, 1]],
  ['nested.Plain', [1]],
  ['nested.Plain.Inner', [1, 0]],
  ['nested.Maps', [2]],
  ['nested.Maps.AEntry', [2, 0]],
  ['nested.Maps.BEntry', [2, 1]],
  ['nested.Maps.Only', [2, 2]],
]
const GROUPS: [string, number[]][] = [
  ['groups.Search', [0]],
  ['groups.Search.FiltersEntry', [0, 0]],
  ['groups.Search.Result', [0, 1]],
  ['groups.Search.Picked', [0, 2]],
  ['groups.Search.After', [0, 3]],
]

describe('message indexes count map entries, as protoc numbers nested types', async () => {
  const outer = await loadProtoFile(join(fixtures, 'nested/outer.proto'), { includeDirs: [fixtures] })
  const groups = await loadProtoFile(join(fixtures, 'nested/groups.proto'), { includeDirs: [fixtures] })
  const messagesOf = (table: [string, number[]][]) => table.filter(([name]) => !name.endsWith('Entry'))

  test('writing: a message after map fields moves past their entries, one before them does not; deeper levels the same', () => {
    for (const [name, indexes] of messagesOf(OUTER)) expect(messageIndexes(outer, name), name).toEqual(indexes)
    for (const [name, indexes] of messagesOf(GROUPS)) expect(messageIndexes(groups, name), name).toEqual(indexes)
  })

  test('a map entry is not a message a serde can be built for', () => {
    expect(() => messageIndexes(outer, 'nested.Outer.CountsEntry')).toThrow(/does not declare/)
  })

  test('reading: the .proto text and protoc’s descriptor name the same message at every index array', () => {
    for (const [file, table, desc] of [[outer, OUTER, 'outer'], [groups, GROUPS, 'groups']] as const) {
      const byText = indexResolver(file.source)
      const byDescriptor = indexResolver(descriptorOf(desc))
      for (const [name, indexes] of table) {
        // A map entry's array is read as an older kafkit's (see below): the same way by both.
        expect(byText(indexes), `${indexes.join(',')}`).toBe(byDescriptor(indexes))
        if (!name.endsWith('Entry')) expect(byText(indexes), `${indexes.join(',')}`).toBe(name)
      }
      expect(byText([9]), 'past the end').toBeUndefined()
      expect(byDescriptor([0, 9]), 'past the end').toBeUndefined()
    }
  })

  test('interop.Order.Line, declared after map field 8, is [0, 1] (what Python writes)', async () => {
    const protoDir = join(import.meta.dirname, '../../../../test/interop/proto')
    const order = await loadProtoFile(join(protoDir, 'interop/order.proto'), { includeDirs: [protoDir] })
    expect(messageIndexes(order, 'interop.Order.Line')).toEqual([0, 1])
    expect(indexResolver(order.source)([0, 1])).toBe('interop.Order.Line')
  })
})

describe('records written before map entries counted (entries left out) still decode where unambiguous', async () => {
  const outer = await loadProtoFile(join(fixtures, 'nested/outer.proto'), { includeDirs: [fixtures] })

  test('an array that is a map entry or past the end in protoc’s numbering is read with entries left out', () => {
    for (const resolve of [indexResolver(outer.source), indexResolver(descriptorOf('outer'))]) {
      expect(resolve([0, 1]), 'old Outer.After').toBe('nested.Outer.After') // protoc: CountsEntry
      expect(resolve([0, 2, 0]), 'old Outer.Last.Deep').toBe('nested.Outer.Last.Deep') // protoc: nothing inside Outer.After
      expect(resolve([2, 0]), 'old Maps.Only').toBe('nested.Maps.Only') // protoc: AEntry
    }
  })

  test('where protoc’s numbering names a message it wins: that is what Java and Python write', () => {
    // Old Outer.Last was [0, 2]; protoc's [0, 2] is Outer.After.
    expect(indexResolver(outer.source)([0, 2])).toBe('nested.Outer.After')
  })

  test('a map entry no numbering turns into a message is named as the entry (the serde refuses it)', () => {
    const file = protoFile('m.proto', 'syntax = "proto3"; package m; message M { map<string, string> only = 1; }')
    expect(indexResolver(file.source)([0, 0])).toBe('m.M.OnlyEntry')
    expect(indexResolver(file.source)([0, 1])).toBeUndefined()
  })
})
