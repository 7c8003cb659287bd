/** Waiting for a container cluster through the Kafka protocol and the registry's API, and the log tails for errors. */
import { readFileSync } from 'node:fs'
import { getContainerRuntimeClient } from 'testcontainers'
import { TestkitError } from '../errors.js'
import { brokerNotReadyReason } from '../readiness.js'
import type { Member } from './member.js'

/**
 * Polls through the Kafka protocol until every broker in `expected`, asked on its own
 * address, serves metadata that lists all of `expected` and a controller. Asking each broker
 * itself matters after a restart: the others know the broker is back before it has received
 * the cluster metadata, and a client bootstrapping from it would see controller -1.
 * Fails fast with a log tail when one of our containers has exited.
 */
export async function waitForBrokers(brokers: string[], expected: number[], members: Member[], deadline: number): Promise<void> {
  let lastError = 'no answer yet'
  const ready = new Set<number>()
  for (;;) {
    await assertRunning(members, expected)
    for (const id of expected) {
      if (ready.has(id)) continue
      const reason = await brokerNotReadyReason(brokers[id] as string, expected)
      if (reason === null) ready.add(id)
      else lastError = `broker ${id}: ${reason}`
    }
    if (ready.size === expected.length) return
    if (Date.now() > deadline) {
      throw new TestkitError(
        'TESTKIT_NOT_READY',
        `containers backend: Kafka brokers [${expected.join(', ')}] were not all serving in time (${lastError})\n${logTails(members.filter((m) => m.role !== 'registry'))}`,
      )
    }
    await sleep(250)
  }
}

/** Polls `GET <url>/subjects` until it answers 200. */
export async function waitForRegistry(url: string, members: Member[], deadline: number): Promise<void> {
  let lastError = 'no answer yet'
  for (;;) {
    await assertRunning(members)
    try {
      const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) })
      if (response.status === 200) return
      lastError = `HTTP ${response.status}`
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error)
    }
    if (Date.now() > deadline) {
      throw new TestkitError(
        'TESTKIT_NOT_READY',
        `containers backend: the schema registry at ${url} did not answer in time (${lastError})\n${logTails(members.filter((m) => m.role === 'registry'))}`,
      )
    }
    await sleep(250)
  }
}

/** Throws with the log tail of the first container that is no longer running. */
export async function assertRunning(members: Member[], brokerIds?: number[]): Promise<void> {
  const client = await getContainerRuntimeClient()
  for (const member of members) {
    // During a single broker's restart only that broker (and not stopped peers) must run.
    if (brokerIds && member.role === 'kafka' && !brokerIds.includes(Number(member.name.slice('kafka-'.length)))) continue
    const info = await client.container.inspect(client.container.getById(member.container.getId()))
    if (!info.State.Running) {
      throw new TestkitError(
        'TESTKIT_PROCESS_EXITED',
        `containers backend: container ${member.name} exited (code ${info.State.ExitCode}) during start-up\n${logTails([member])}`,
      )
    }
  }
}

export function logTails(members: Member[], lines = 40): string {
  return members
    .map((member) => {
      let text = ''
      try {
        text = readFileSync(member.logFile, 'utf8')
      } catch {
        text = '(no log)'
      }
      return `--- last lines of ${member.logFile} ---\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`
    })
    .join('\n')
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
