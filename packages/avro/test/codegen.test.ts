import { describe, expect, test } from 'vitest'
import { generateTypeScript } from '../src/index.js'

describe('generateTypeScript', () => {
  test('a named record becomes an interface plus an as-const schema constant', () => {
    const { typeName, schemaConstName, source } = generateTypeScript(
      { type: 'record', name: 'Event', namespace: 'a.b', doc: 'An event.', fields: [{ name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'When.' }, { name: 'n', type: ['null', 'int'] }] },
      { sourceName: 'event.avsc' },
    )
    expect(typeName).toBe('Event')
    expect(schemaConstName).toBe('EventSchema')
    expect(source).toContain('from event.avsc')
    expect(source).toContain('export const EventSchema = {')
    expect(source).toContain('} as const')
    expect(source).toContain('/** An event. */\nexport interface Event {\n  /** When. */\n  at: Date\n  n: null | number\n}')
  })

  test('an unnamed top-level schema gets a type alias from the fallback name', () => {
    const { typeName, source } = generateTypeScript(['null', { type: 'array', items: ['int', 'string'] }], { fallbackName: 'ids-list' })
    expect(typeName).toBe('IdsList')
    expect(source).toContain('export type IdsList = null | Array<number | string>')
  })

  test('a fallback name equal to a generated type name gets Value appended', () => {
    const user = { type: 'record', name: 'User', fields: [{ name: 'id', type: 'string' }] }
    const { typeName, schemaConstName, source } = generateTypeScript(['null', user], { fallbackName: 'user' })
    expect(typeName).toBe('UserValue')
    expect(schemaConstName).toBe('UserValueSchema')
    expect(source).toContain('export type UserValue = null | User')
    expect(source).toContain('export interface User {')
    // …repeatedly, when that name is taken too.
    const both = generateTypeScript(['null', user, { type: 'enum', name: 'UserValue', symbols: ['A'] }], { fallbackName: 'user' })
    expect(both.source).toContain('export type UserValueValue = null | User | UserValue')
  })

  test('same short names in two namespaces, or a built-in name, get qualified names', () => {
    const { source } = generateTypeScript({
      type: 'record',
      name: 'Outer',
      namespace: 'x',
      fields: [
        { name: 'a', type: { type: 'record', name: 'Item', namespace: 'p', fields: [] } },
        { name: 'b', type: { type: 'record', name: 'Item', namespace: 'q', fields: [] } },
        { name: 'c', type: { type: 'record', name: 'Date', fields: [] } },
        { name: 'd', type: 'p.Item' },
      ],
    })
    expect(source).toContain('  a: PItem\n  b: QItem\n  c: XDate\n  d: PItem')
  })

  test('an invalid schema throws KAFKIT_CONFIG and generates nothing', () => {
    expect(() => generateTypeScript({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'Nope' }] })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
  })
})
