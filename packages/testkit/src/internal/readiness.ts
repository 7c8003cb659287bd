import { Kafka, logLevel } from 'kafkajs'
import { TestkitError } from './errors.js'
import { type ManagedProcess, tailFile } from './processes.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface WaitOptions {
  timeoutMs: number
  /** Processes whose early exit means start-up failed: their log tail goes into the error. */
  watch?: ManagedProcess[]
  /** Name of what is awaited, for the error. */
  what: string
  /** Log file to quote when time runs out. */
  logFile?: string
}

/**
 * Polls `check` until it returns true. Fails fast when a watched process exits, and with
 * the log tail when time runs out: never a fixed sleep standing in for readiness.
 */
export async function waitUntil(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  let lastError: unknown
  let delay = 100
  for (;;) {
    const dead = options.watch?.find((p) => p.hasExited())
    if (dead) {
      throw new TestkitError(
        'TESTKIT_PROCESS_EXITED',
        `${dead.name} exited (${await dead.exited}) while waiting for ${options.what}; last lines of ${dead.logFile}:\n${tailFile(dead.logFile)}`,
      )
    }
    try {
      if (await check()) return
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      const log = options.logFile ? `\nlast lines of ${options.logFile}:\n${tailFile(options.logFile)}` : ''
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new TestkitError('TESTKIT_NOT_READY', `${options.what} was not ready within ${options.timeoutMs} ms${cause}${log}`, {
        cause: lastError,
      })
    }
    await sleep(delay)
    delay = Math.min(delay * 1.5, 1000)
  }
}

/**
 * True when every one of `brokerIds` is registered in the cluster metadata, as seen through
 * the Kafka protocol from `bootstrap`; and each broker answers on its own address.
 */
export async function clusterHasBrokers(brokers: string[], expected: number): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'kafkit-testkit-readiness',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  })
  const admin = kafka.admin()
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    return cluster.brokers.length >= expected && cluster.controller !== null && cluster.controller >= 0
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

/** True when the schema registry's Confluent API lists subjects. */
export async function registryAnswers(url: string): Promise<boolean> {
  const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(3000) })
  return response.ok
}
