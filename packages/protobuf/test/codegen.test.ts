import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { generateProtobufTypeScript, loadProtoFile, protobuf, protoFile } from '../src/index.js'
import { Payment } from './fixtures/generated/payment.js'

const fixtures = join(import.meta.dirname, 'fixtures')

describe('generateProtobufTypeScript', () => {
  test('the committed fixture is what the generator writes today (types checked in codegen.test-d.ts)', async () => {
    const file = await loadProtoFile(join(fixtures, 'shop/payment.proto'), { includeDirs: [fixtures] })
    const generated = generateProtobufTypeScript(file, { importFrom: '../../../src/index.js' })
    expect(generated.source).toBe(await readFile(join(fixtures, 'generated/payment.ts'), 'utf8'))
    expect(generated.messages).toEqual([
      { fullName: 'shop.Refund', exportName: 'Refund' },
      { fullName: 'shop.Payment', exportName: 'Payment' },
      { fullName: 'shop.Payment.Line', exportName: 'Payment_Line' },
    ])
  })

  test('the generated ProtoMessage carries the file and its imports: protobuf(Payment) works', () => {
    const serde = protobuf(Payment)
    const ctx = { topic: 't', field: 'value' } as const
    expect(serde.decode(serde.encode({ id: 'p', amount: { currency: 'NOK', units: 5 } }, ctx), ctx)).toMatchObject({ id: 'p', amount: { currency: 'NOK', units: '5', nanos: 0 } })
  })

  test('names that clash across packages get their package in the name', () => {
    const a = protoFile('a.proto', 'syntax = "proto3"; package a; message Item { string x = 1; }')
    const b = protoFile('b.proto', 'syntax = "proto3"; package b; import "a.proto"; message Item { a.Item inner = 1; }', [a])
    const source = generateProtobufTypeScript(b).source
    expect(source).toContain('export interface Item {')
    expect(source).toContain('export interface B_Item {')
    expect(source).toContain('inner?: Item')
    expect(source).toContain('export const B_Item = protoMessage<B_Item, B_ItemInput>(bProto, "b.Item")')
  })
})
