import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RegistryFailure, registryError } from '../../src/internal/registry-http.js'
import { SchemaRegistry } from '../../src/index.js'
import type { KafkitError } from '@kafkit/core'

const failure = (status: number, url = 'http://registry.example.com/apis/ccompat/v7/schemas/ids/7'): RegistryFailure => ({
  status,
  errorCode: status * 100 + 1,
  message: 'refused',
  method: 'GET',
  url,
})

describe('registryError', () => {
  test('401 and 403 are a retriable KAFKIT_REGISTRY with reason "credentials", naming the URL and status and saying to check the credentials', () => {
    for (const [status, word] of [
      [401, 'unauthorized'],
      [403, 'forbidden'],
    ] as const) {
      const error = registryError('fetch schema id 7', failure(status), { schemaId: 7, registry: 'http://registry.example.com/apis/ccompat/v7' })
      expect(error, String(status)).toMatchObject({
        code: 'KAFKIT_REGISTRY',
        retriable: true,
        context: { reason: 'credentials', status, registryErrorCode: status * 100 + 1, schemaId: 7, url: 'http://registry.example.com/apis/ccompat/v7/schemas/ids/7' },
      })
      expect(error.message).toContain(`GET http://registry.example.com/apis/ccompat/v7/schemas/ids/7 with HTTP ${status} (${word})`)
      expect(error.message).toContain('when trying to fetch schema id 7')
      expect(error.message).toContain('check the registry credentials')
    }
  })

  test('credentials in the URL are masked, in the message and the context', () => {
    const error = registryError('fetch schema id 7', failure(401, 'https://key:s3cr3t@registry.example.com/schemas/ids/7'), {})
    expect(error.message).toContain('https://***@registry.example.com/schemas/ids/7')
    expect(error.context['url']).toBe('https://***@registry.example.com/schemas/ids/7')
    for (const text of [error.message, inspect(error, { depth: 10 }), JSON.stringify(error.context)]) expect(text).not.toMatch(/key|s3cr3t/)
  })

  test('the other statuses keep their verdict: 408, 429 and 5xx retriable, a 400 or 422 not, and none says "credentials"', () => {
    for (const status of [408, 429, 500, 503]) {
      const error = registryError('register', failure(status), {})
      expect(error, String(status)).toMatchObject({ code: 'KAFKIT_REGISTRY', retriable: true })
      expect(error.context['reason'], String(status)).toBeUndefined()
    }
    for (const status of [400, 405, 422]) {
      const error = registryError('register', failure(status), {})
      expect(error, String(status)).toMatchObject({ code: 'KAFKIT_REGISTRY', retriable: false })
      expect(error.message, String(status)).not.toContain('credentials')
    }
  })
})

describe('a registry that refuses the credentials', () => {
  // A server that answers every request with the status in its path's first segment, as a
  // registry behind an authenticating proxy does (Apicurio answers 401 with an empty body).
  let server: Server
  let base: string
  const seen: (string | undefined)[] = []
  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request.headers.authorization)
      const status = Number(request.url?.split('/')[1])
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(status === 403 ? JSON.stringify({ error_code: 40301, message: 'User is not authorized' }) : '')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  test('every call fails retriable, with the credential-free URL, never the password', async () => {
    for (const status of [401, 403]) {
      const registry = new SchemaRegistry({ url: `http://orders:s3cr3t-pw@${base}/${status}/apis/ccompat/v7` })
      const calls: [string, () => Promise<unknown>][] = [
        ['getSchema', () => registry.getSchema(7)],
        ['register', () => registry.register('orders-value', '"string"')],
        ['lookup', () => registry.lookup('orders-value', '"string"')],
        ['latest', () => registry.latest('orders-value')],
        ['checkCompatibility', () => registry.checkCompatibility('orders-value', '"string"')],
      ]
      for (const [name, call] of calls) {
        const error = (await call().then(
          () => undefined,
          (e: unknown) => e,
        )) as KafkitError
        expect(error, `${status} ${name}`).toMatchObject({ code: 'KAFKIT_REGISTRY', retriable: true, context: { reason: 'credentials', status } })
        expect(error.message, `${status} ${name}`).toContain(`http://${base}/${status}/apis/ccompat/v7/`)
        expect(error.message).toContain('check the registry credentials')
        const shown = `${error.message}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`
        expect(shown).not.toContain('s3cr3t-pw')
        expect(shown).not.toContain(Buffer.from('orders:s3cr3t-pw').toString('base64'))
      }
    }
    // The credentials did go out, as basic auth.
    expect(seen).toContain(`Basic ${Buffer.from('orders:s3cr3t-pw').toString('base64')}`)
  })
})
