import { createServer } from 'node:net'
import { TestkitError } from './errors.js'

/** Ports handed out by this process, so two calls never return the same one. */
const handedOut = new Set<number>()

/** A TCP port free on loopback now, that this process has not handed out before. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.unref()
      server.once('error', reject)
      server.listen(0, host, () => {
        const address = server.address()
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
      })
    })
    if (!handedOut.has(port)) {
      handedOut.add(port)
      return port
    }
  }
  throw new TestkitError('TESTKIT_PORT_IN_USE', `no free TCP port found on ${host}`)
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
