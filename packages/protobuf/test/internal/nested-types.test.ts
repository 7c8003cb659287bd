import { describe, expect, test } from 'vitest'
import { mapEntryName, type MessageSlot, messageSlots } from '../../src/internal/nested-types.js'

/** A slot tree as `Name` / `Name*` (map entry) strings, nested lists after their parent. */
function outline(slots: readonly MessageSlot[]): unknown[] {
  return slots.flatMap((slot) => [slot.mapEntry ? `${slot.name}*` : slot.name, ...(slot.nested.length > 0 ? [outline(slot.nested)] : [])])
}

describe('mapEntryName', () => {
  test('protoc’s rule: underscores dropped, the first letter and each one after an underscore upper-cased, then Entry', () => {
    expect(mapEntryName('attributes')).toBe('AttributesEntry')
    expect(mapEntryName('by_key')).toBe('ByKeyEntry')
    expect(mapEntryName('labels_v2')).toBe('LabelsV2Entry')
    expect(mapEntryName('_raw_data')).toBe('RawDataEntry')
    expect(mapEntryName('camelCase')).toBe('CamelCaseEntry')
    expect(mapEntryName('a__b_')).toBe('ABEntry')
  })
})

describe('messageSlots', () => {
  test('messages and map entries in declaration order, each level apart; enums, services and plain fields take no place', () => {
    const source = `
      syntax = "proto3";
      package p;
      enum E { E0 = 0; }
      message A {
        string s = 1;
        map<string, int32> first = 2;
        message B { map<string, string> inner = 1; }
        enum K { K0 = 0; }
        map<string, B> second_one = 3;
        message C {}
      }
      service S { rpc Do (A) returns (A); }
      message D {}`
    expect(outline(messageSlots(source))).toEqual(['A', ['FirstEntry*', 'B', ['InnerEntry*'], 'SecondOneEntry*', 'C'], 'D'])
  })

  test('comments and string literals are not declarations; aggregate options are skipped whole', () => {
    const source = `
      syntax = "proto2";
      import "google/protobuf/descriptor.proto";
      extend google.protobuf.FieldOptions { optional string note = 50001; }
      // message Commented { map<string, string> m = 1; }
      message A { /* message Hidden {} */
        optional string s = 1 [json_name = "message X { map<string, string> y = 1; }", (note) = 'map<int32, int32> z = 2; }'];
        option deprecated = true;
        reserved "message", "map";
        map<string, string> real = 2;
      }`
    expect(outline(messageSlots(source))).toEqual(['A', ['RealEntry*']])
  })

  test('proto2 groups are messages at their place, in a oneof too; in an extend they belong to the enclosing scope', () => {
    const source = `
      syntax = "proto2";
      message A {
        extensions 100 to 200;
        map<string, string> m = 1;
        optional group G = 2 [deprecated = true] { optional int32 x = 1; }
        oneof o { group H = 3 { optional int32 y = 1; } }
        extend A { optional group Ext = 101 { optional int32 z = 1; } }
        message After {}
      }`
    expect(outline(messageSlots(source))).toEqual(['A', ['MEntry*', 'G', 'H', 'Ext', 'After']])
  })
})
