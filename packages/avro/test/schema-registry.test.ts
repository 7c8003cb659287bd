import { describe, expect, test } from 'vitest'
import { SchemaRegistry } from '../src/index.js'

describe('SchemaRegistry options', () => {
  test('keeps the path prefix and drops credentials from the url', () => {
    const registry = new SchemaRegistry({ url: 'http://user:s%40cret@localhost:8080/apis/ccompat/v7/' })
    expect(registry.url).toBe('http://localhost:8080/apis/ccompat/v7')
    expect(String(registry)).not.toContain('cret')
  })

  test('refuses a url that is not http(s) and a non-positive timeout', () => {
    expect(() => new SchemaRegistry({ url: 'localhost:8081' })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
    expect(() => new SchemaRegistry({ url: 'http://x', requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/)
  })

  test('an unreachable registry is a retriable KAFKIT_REGISTRY error', async () => {
    const registry = new SchemaRegistry({ url: 'http://127.0.0.1:9/prefix' })
    await expect(registry.getSchema(1)).rejects.toMatchObject({ code: 'KAFKIT_REGISTRY', retriable: true })
    await expect(registry.checkCompatibility('s', '"string"')).rejects.toMatchObject({ code: 'KAFKIT_REGISTRY', retriable: true })
  })
})
