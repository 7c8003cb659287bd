import type { EventEmitter } from 'node:events'
import type { ISocketFactory } from 'kafkajs'
import createEngineSocketFactory from 'kafkajs/src/network/socketFactory.js'

/**
 * Answers a connection gets before it counts as established: ApiVersions, the request
 * kafkajs sends first on each connection. A TLS listener spoken to in plaintext answers
 * nothing; a SASL listener answers ApiVersions, then closes on the next request of a client
 * that does not authenticate.
 */
const HANDSHAKE_ANSWERS = 1

/** At most this many addresses are remembered (the oldest go first). */
const MAX_ADDRESSES = 1_000

/**
 * Per broker address (`host:port`), whether the broker's last close of a connection came
 * before it answered a request past the version handshake. By address, and process-wide:
 * kafkajs' "Closed connection" error carries the host and port, nothing of the connection.
 */
const closedEarly = new Map<string, boolean>()

function remember(address: string, early: boolean): void {
  closedEarly.delete(address)
  closedEarly.set(address, early)
  if (closedEarly.size > MAX_ADDRESSES) closedEarly.delete(closedEarly.keys().next().value as string)
}

/**
 * Whether the broker at `host:port` closed its last closed connection before answering a
 * request past the version handshake: what a client without TLS on a TLS listener, or
 * without SASL on a SASL listener, meets, unlike a broker closing an established connection
 * (a restart, its idle timeout).
 */
export function closedBeforeAnswering(host: unknown, port: unknown): boolean {
  return closedEarly.get(`${String(host)}:${String(port)}`) === true
}

/**
 * Counts the answers (size-prefixed Kafka frames) `socket` receives until it is established,
 * and remembers, when the broker closes it, whether that came before. Its `data` listener
 * goes once the connection is established: no cost after the handshake.
 */
export function watchConnection(socket: EventEmitter, address: string): void {
  let answers = 0
  // Bytes left of the frame being read; while 0, the 4 bytes of the next frame's size are being read.
  let left = 0
  let size: Buffer = Buffer.alloc(0)
  const count = (chunk: Buffer): void => {
    for (let at = 0; at < chunk.length && answers <= HANDSHAKE_ANSWERS; ) {
      if (left > 0) {
        const take = Math.min(left, chunk.length - at)
        left -= take
        at += take
        if (left === 0) answers++
        continue
      }
      const take = Math.min(4 - size.length, chunk.length - at)
      size = Buffer.concat([size, chunk.subarray(at, at + take)])
      at += take
      if (size.length < 4) continue
      left = size.readInt32BE(0)
      size = Buffer.alloc(0)
      if (left <= 0) {
        left = 0
        answers++
      }
    }
    if (answers > HANDSHAKE_ANSWERS) socket.off('data', count)
  }
  socket.on('data', count)
  // Registered before kafkajs' own listener (it listens once the factory returned), so this is
  // known when kafkajs makes its "Closed connection" error.
  socket.once('end', () => remember(address, answers <= HANDSHAKE_ANSWERS))
}

const engineSocket = createEngineSocketFactory()

/** kafkajs' own sockets, each watched by {@link watchConnection}. */
export const watchedSocketFactory: ISocketFactory = (args) => {
  const socket = engineSocket(args)
  watchConnection(socket, `${args.host}:${args.port}`)
  return socket
}
