// Contract: a Protobuf serde registers and looks up an imported file once, however many topics it writes to and however many files import it: the writers of three topics ask the real registry about the shared import twice in all (register, look up), not twice per topic; what they write decodes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { uniqueName } from '@kafkit/testkit'
import { protobuf, SchemaRegistry } from '../../src/index.js'
import { Payment } from '../fixtures/generated/payment.js'
import { cluster } from './kafka-helpers.js'

/** A pass-through proxy in front of the real registry that writes down every request path. */
let proxy: Server
const paths: string[] = []
beforeAll(async () => {
  const target = new URL(cluster().schemaRegistryUrl as string)
  const forward = async (request: IncomingMessage, response: ServerResponse) => {
    paths.push(`${request.method} ${decodeURIComponent(request.url ?? '')}`)
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const upstream = await fetch(`${target.origin}${request.url}`, {
      method: request.method,
      headers: { 'content-type': request.headers['content-type'] ?? 'application/json', accept: request.headers.accept ?? 'application/json' },
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    })
    response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' })
    response.end(Buffer.from(await upstream.arrayBuffer()))
  }
  // A failed forward is a 502 the serde sees (and the test fails on), never an unhandled rejection.
  proxy = createServer((request, response) => {
    forward(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' })
      response.end(String(error))
    })
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
})
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve))
})

describe('registry requests of a Protobuf serde', () => {
  test('the shared import is resolved once for the writers of three topics', async () => {
    const base = new URL(cluster().schemaRegistryUrl as string)
    const registry = new SchemaRegistry({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${base.pathname}` })
    const serde = protobuf(Payment, { registry })
    const topics = [uniqueName('pb-requests-a'), uniqueName('pb-requests-b'), uniqueName('pb-requests-c')]
    const value = { id: 'p-1', amount: { currency: 'EUR', units: 12 } } as Parameters<typeof serde.encode>[0]
    const written = await Promise.all(topics.map((topic) => serde.encode(value, { topic, field: 'value' })))
    for (const [i, bytes] of written.entries()) expect(await serde.decode(bytes, { topic: topics[i]!, field: 'value' })).toMatchObject({ id: 'p-1' })

    const importName = Payment.file.imports![0]!.name
    const aboutImport = paths.filter((p) => p.includes(`/subjects/${importName}`))
    expect(aboutImport).toHaveLength(2)
    // Each topic's own subject is still registered and looked up.
    for (const topic of topics) expect(paths.filter((p) => p.includes(`/subjects/${topic}-value`)).length).toBe(2)
  })
})
