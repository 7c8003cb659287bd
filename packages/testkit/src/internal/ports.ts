import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { TestkitError } from './errors.js'

/** Ports handed out by this process, so two calls never return the same one. */
const handedOut = new Set<number>()

/**
 * The lowest port of the kernel's ephemeral range (Linux: ip_local_port_range). Below it,
 * the kernel never picks a port for an outgoing connection, so a port found free there stays
 * free until the broker binds it; a port from the ephemeral range may be taken in between by
 * any client socket (seen here: podman failing with "address already in use").
 */
function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (low && low > 12_000) return low
  } catch {
    /* not Linux: macOS and Windows start their range at 49152 */
  }
  return 49_152
}

const RANGE_LOW = 10_000
const RANGE_HIGH = ephemeralRangeStart()

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/**
 * A TCP port free now on every interface (containers publish on 0.0.0.0), chosen at random
 * below the ephemeral range, and not handed out by this process before.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = RANGE_LOW + Math.floor(Math.random() * (RANGE_HIGH - RANGE_LOW))
    if (handedOut.has(port)) continue
    if ((await canBind(port, '0.0.0.0')) && (await canBind(port, '127.0.0.1'))) {
      handedOut.add(port)
      return port
    }
  }
  throw new TestkitError('TESTKIT_PORT_IN_USE', `no free TCP port found between ${RANGE_LOW} and ${RANGE_HIGH}`)
}

/** Throws a clear error when `port` is already taken on `host`. */
export async function assertPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new TestkitError(
          'TESTKIT_PORT_IN_USE',
          `port ${host}:${port} is already in use (${error.code ?? error.message}); stop what holds it or choose another port`,
          { cause: error },
        ),
      ),
    )
    server.listen(port, host, () => server.close(() => resolve()))
  })
}
