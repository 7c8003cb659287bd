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

/** What one broker says about the cluster, through the Kafka protocol. */
export interface ClusterView {
  brokerIds: Set<number>
  controller: number | null
}

/**
 * Asks the brokers at `addresses` (one connection, no retries) for the cluster metadata.
 * @throws whatever the connection or request failed with
 */
export async function describeCluster(addresses: string[]): Promise<ClusterView> {
  const kafka = new Kafka({
    clientId: 'kafkit-testkit-readiness',
    brokers: addresses,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  })
  const admin = kafka.admin()
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    return { brokerIds: new Set(cluster.brokers.map((b) => b.nodeId)), controller: cluster.controller }
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

/**
 * Null when the broker at `address` serves: it answers, lists every one of `expectedIds`, and
 * knows a controller (a broker just restarted is listed by the others before it knows one).
 * Otherwise why not, for the error a person reads.
 */
export async function brokerNotReadyReason(address: string, expectedIds: number[]): Promise<string | null> {
  try {
    const view = await describeCluster([address])
    if (expectedIds.every((id) => view.brokerIds.has(id)) && view.controller !== null && view.controller >= 0) return null
    return `${address} lists brokers [${[...view.brokerIds].join(', ')}] and controller ${String(view.controller)}`
  } catch (error) {
    return `${address}: ${error instanceof Error ? error.message : String(error)}`
  }
}

/** True when every broker in `addresses` serves (see {@link brokerNotReadyReason}); ids are 0..n-1. */
export async function clusterHasBrokers(addresses: string[], expected: number): Promise<boolean> {
  const ids = Array.from({ length: expected }, (_, i) => i)
  const reasons = await Promise.all(addresses.map((address) => brokerNotReadyReason(address, ids)))
  const reason = reasons.find((r) => r !== null)
  if (reason) throw new Error(reason)
  return true
}

/**
 * Waits until every broker in `survivors` has dropped broker `brokerId` from its metadata,
 * and so has new leaders for its partitions: from then on, clients that ask a survivor are
 * not sent to the dead broker.
 */
export async function waitForBrokerGone(survivors: string[], brokerId: number, timeoutMs: number): Promise<void> {
  await waitUntil(
    async () => {
      const views = await Promise.all(survivors.map((address) => describeCluster([address])))
      return views.every((view) => !view.brokerIds.has(brokerId))
    },
    { timeoutMs, what: `the surviving brokers to drop the stopped broker ${brokerId}` },
  )
}

/** True when the schema registry's Confluent API lists subjects. */
export async function registryAnswers(url: string): Promise<boolean> {
  const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(3000) })
  return response.ok
}
