import { inspect } from 'node:util'
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

  test('a malformed url is KAFKIT_CONFIG naming it without its credentials', () => {
    const thrown = (url: unknown) => {
      try {
        new SchemaRegistry({ url: url as string })
      } catch (error) {
        return error as Error & { code?: string }
      }
      throw new Error(`accepted ${String(url)}`)
    }
    const cases: [unknown, string][] = [
      ['htps://key:s3cr3t@registry.example.com', 'htps://***@registry.example.com'], // bad scheme
      ['https://key:s3cr3t@registry example.com', 'https://***@registry example.com'], // bad host: new URL throws
      ['https://key:s3cr3t@registry.example.com:99999', 'https://***@registry.example.com:99999'], // bad port
      ['https://key:s3/cr3t@registry.example.com', 'https://***@registry.example.com'], // raw / in the password
      ['https://key:s3%E0cr3t@registry.example.com', 'https://***@registry.example.com'], // bad percent-encoding
      ['key:s3cr3t@registry.example.com', '***@registry.example.com'], // no scheme
      [new URL('ftp://key:s3cr3t@registry.example.com'), 'ftp://***@registry.example.com/'], // not a string
    ]
    for (const [url, named] of cases) {
      const error = thrown(url)
      expect(error, String(url)).toMatchObject({ code: 'KAFKIT_CONFIG' })
      expect(error.message).toContain(named)
      for (const text of [error.message, String(error), inspect(error, { depth: 10 }), JSON.stringify(error)]) {
        expect(text, String(url)).not.toMatch(/s3|cr3t/)
      }
    }
  })

  test('an unreachable registry is a retriable KAFKIT_REGISTRY error', async () => {
    const registry = new SchemaRegistry({ url: 'http://127.0.0.1:9/prefix' })
    await expect(registry.getSchema(1)).rejects.toMatchObject({ code: 'KAFKIT_REGISTRY', retriable: true })
    await expect(registry.checkCompatibility('s', '"string"')).rejects.toMatchObject({ code: 'KAFKIT_REGISTRY', retriable: true })
  })
})
