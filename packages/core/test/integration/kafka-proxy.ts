// A TCP proxy in front of a real broker that reads the Kafka framing (request api key and
// client id, response correlation id) so a test can cut a connection at one exact request
// or answer, or hold answers back, while the broker itself does all the work. The broker
// advertises the proxy (an extra listener added at run time), so every connection of every
// client goes through it. Not a test file.
import { createServer, type Server, Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { type KafkaCluster, startKafka, waitFor } from '@kafkit/testkit'
import { afterAll, beforeAll } from 'vitest'
import kafkajs from 'kafkajs'

/** Kafka api keys the tests act on. */
export const ApiKey = { Produce: 0, Metadata: 3, OffsetFetch: 9, Heartbeat: 12, InitProducerId: 22, AddPartitionsToTxn: 24, AddOffsetsToTxn: 25, EndTxn: 26, TxnOffsetCommit: 28 } as const

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  apiKey: number
  clientId: string | null
}

/**
 * What to do with a request: forward it, or `reset` both connections without forwarding it
 * (the broker never sees it).
 */
export type RequestVerdict = 'pass' | 'reset'
/**
 * What to do with the broker's answer to a request: forward it, `reset` both connections
 * instead (the broker did the work, the client never hears of it), or hold it (and every
 * later answer on that connection, to keep their order) until the promise settles.
 */
export type ResponseVerdict = 'pass' | 'reset' | Promise<unknown>

export interface KafkaProxy {
  /** `host:port` clients bootstrap from: the broker's advertised address on this listener. */
  readonly address: string
  /** Decides each request's fate; every request passes by default. */
  onRequest: (request: ProxiedRequest) => RequestVerdict
  /** Decides each answer's fate; every answer passes by default. */
  onResponse: (request: ProxiedRequest) => ResponseVerdict
  close(): Promise<void>
}

/**
 * Splits a stream into Kafka frames (int32 size, then the frame). A negative size is no Kafka
 * stream: `onCorrupt` runs (the proxy cuts both connections) and the rest is dropped.
 */
function framer(onFrame: (frame: Buffer) => void, onCorrupt: () => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0)
  let corrupt = false
  return (chunk) => {
    if (corrupt) return
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0)
      if (size < 0) {
        corrupt = true
        pending = Buffer.alloc(0)
        onCorrupt()
        return
      }
      if (pending.length < 4 + size) return
      onFrame(pending.subarray(0, 4 + size))
      pending = pending.subarray(4 + size)
    }
  }
}

function proxy(upstreamPort: number): Promise<{ server: Server; port: number; control: Pick<KafkaProxy, 'onRequest' | 'onResponse'>; sockets: Set<Socket> }> {
  const control: Pick<KafkaProxy, 'onRequest' | 'onResponse'> = { onRequest: () => 'pass', onResponse: () => 'pass' }
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = new Socket()
    upstream.connect(upstreamPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    const cut = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', () => (sockets.delete(client), upstream.destroy()))
    upstream.on('close', () => (sockets.delete(upstream), client.destroy()))
    client.on('error', cut)
    upstream.on('error', cut)
    const inFlight = new Map<number, ProxiedRequest>()
    client.on(
      'data',
      framer((frame) => {
        const apiKey = frame.readInt16BE(4)
        const correlationId = frame.readInt32BE(8)
        const length = frame.readInt16BE(12)
        const request = { apiKey, clientId: length < 0 ? null : frame.subarray(14, 14 + length).toString('utf8') }
        if (control.onRequest(request) === 'reset') return cut()
        inFlight.set(correlationId, request)
        upstream.write(frame)
      }, cut),
    )
    // Answers leave in order: a held one holds the ones behind it.
    let queue: Promise<unknown> = Promise.resolve()
    upstream.on(
      'data',
      framer((frame) => {
        const correlationId = frame.readInt32BE(4)
        const request = inFlight.get(correlationId)
        inFlight.delete(correlationId)
        const verdict = request === undefined ? 'pass' : control.onResponse(request)
        queue = queue.then(async () => {
          if (verdict === 'reset') return cut()
          if (verdict !== 'pass') await verdict.catch(() => {})
          if (!client.destroyed) client.write(frame)
        })
      }, cut),
    )
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, control, sockets })))
}

async function unusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Puts a proxy in front of broker 0 of a one-broker cluster the test started: adds a
 * `PROXIED` listener to the broker (a dynamic broker config) on a port only the proxy
 * talks to, advertised as the proxy's address. Clients bootstrapping from
 * {@link KafkaProxy.address} reach the broker only through the proxy; the broker's own
 * listener (inter-broker, the testkit) is untouched.
 */
export async function proxyBroker(brokerAddress: string): Promise<KafkaProxy> {
  const brokerPort = Number(brokerAddress.split(':')[1])
  const innerPort = await unusedPort()
  const { server, port, control, sockets } = await proxy(innerPort)
  const raw = new kafkajs.Kafka({ clientId: 'kafkit-proxy-setup', brokers: [brokerAddress], logLevel: kafkajs.logLevel.NOTHING })
  const admin = raw.admin()
  await admin.connect()
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.BROKER,
          name: '0',
          configEntries: [
            { name: 'listener.security.protocol.map', value: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT' },
            { name: 'listeners', value: `PLAINTEXT://127.0.0.1:${brokerPort},PROXIED://127.0.0.1:${innerPort}` },
            { name: 'advertised.listeners', value: `PLAINTEXT://127.0.0.1:${brokerPort},PROXIED://127.0.0.1:${port}` },
          ],
        },
      ],
    })
  } finally {
    await admin.disconnect()
  }
  const address = `127.0.0.1:${port}`
  // The new listener binds asynchronously: ready once a client through the proxy gets metadata naming the proxy.
  await waitFor(
    async () => {
      const probe = new kafkajs.Kafka({ clientId: 'kafkit-proxy-probe', brokers: [address], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 } }).admin()
      try {
        await probe.connect()
        const { brokers } = await probe.describeCluster()
        return brokers.length === 1 && `${brokers[0]!.host}:${brokers[0]!.port}` === address
      } catch {
        return false
      } finally {
        await probe.disconnect().catch(() => {})
      }
    },
    { timeoutMs: 30_000, intervalMs: 300, message: 'the broker advertising the proxy' },
  )
  return {
    address,
    get onRequest() {
      return control.onRequest
    },
    set onRequest(fn) {
      control.onRequest = fn
    },
    get onResponse() {
      return control.onResponse
    },
    set onResponse(fn) {
      control.onResponse = fn
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/**
 * A one-broker cluster of the calling test file (or `describe` block) with a proxy in front of
 * its broker: started before its first test, stopped after its last. The broker is its own,
 * since the proxy adds a listener to it.
 */
export function useProxiedBroker(): { readonly cluster: KafkaCluster; readonly proxy: KafkaProxy } {
  let cluster: KafkaCluster | undefined
  let proxy: KafkaProxy | undefined
  beforeAll(async () => {
    cluster = await startKafka({ backend: 'jvm', brokers: 1, log: () => {} })
    proxy = await proxyBroker(cluster.brokers[0]!)
  }, 240_000)
  afterAll(async () => {
    await proxy?.close()
    await cluster?.stop()
  })
  const made = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the proxied broker's ${what} is used before its beforeAll ran`)
    return value
  }
  return {
    get cluster() {
      return made(cluster, 'cluster')
    },
    get proxy() {
      return made(proxy, 'proxy')
    },
  }
}
