/** Removing a container cluster: by id and by its run label, on stop() and when the process exits without it. */
import { spawnSync } from 'node:child_process'
import { getContainerRuntimeClient, type StartedNetwork } from 'testcontainers'
import { installExitHook } from '../exit-hook.js'
import { prepareContainerEngine, type ContainerEngine } from './engine.js'
import type { Member } from './member.js'

/** Label put on every container of one cluster, so a sweep finds them all by run id. */
export const CLUSTER_LABEL = 'dev.kafkit.cluster'

/**
 * Removes containers (forced, with their anonymous volumes) and then networks by id; ids that
 * are already gone are fine. Used by `kafka:down` for a cluster another process started.
 */
export async function removeContainers(containerIds: string[], networkIds: string[]): Promise<void> {
  await prepareContainerEngine(() => undefined, { required: true })
  const client = await getContainerRuntimeClient()
  await removeByIds(client.container.dockerode, containerIds, networkIds)
}

export type Dockerode = Awaited<ReturnType<typeof getContainerRuntimeClient>>['container']['dockerode']

export async function removeByIds(dockerode: Dockerode, containerIds: string[], networkIds: string[]): Promise<void> {
  const gone = (pattern: RegExp) => (error: unknown) => {
    if (!pattern.test(String(error))) throw error
  }
  await Promise.all(containerIds.map((id) => dockerode.getContainer(id).remove({ force: true, v: true }).catch(gone(/no such container|not found|404/i))))
  for (const id of networkIds) await dockerode.getNetwork(id).remove().catch(gone(/no such network|not found|404/i))
}

/**
 * Removes the cluster's containers and network when the process exits without `stop()`:
 * synchronously (an 'exit' handler cannot wait), by a short child Node process that calls
 * the engine API, by id and by the run's label (containers still being created when a
 * start-up was interrupted carry the label too). Signals: see {@link installExitHook}.
 */
export function installContainerExitHook(
  engine: ContainerEngine,
  runId: string,
  current: () => { members: Member[]; network: StartedNetwork | undefined } | undefined,
): { remove: () => void } {
  return installExitHook(() => {
    const state = current()
    if (!state) return
    const containers = state.members.map((member) => member.container.getId())
    const network = state.network?.getId()
    const label = `${CLUSTER_LABEL}=${runId}`
    spawnSync(process.execPath, ['-e', EXIT_CLEANUP_SCRIPT, JSON.stringify({ dockerHost: process.env['DOCKER_HOST'] ?? engine.dockerHost, containers, network, label })], {
      stdio: 'ignore',
      timeout: 30_000,
    })
  })
}

/** Deletes containers (forced) then the network through the Docker API, in a child process. */
const EXIT_CLEANUP_SCRIPT = `
const http = require('node:http')
const { dockerHost, containers, network, label } = JSON.parse(process.argv[1])
const target = dockerHost.startsWith('unix://') ? { socketPath: dockerHost.slice(7) } : (() => { const u = new URL(dockerHost.replace(/^tcp:/, 'http:')); return { host: u.hostname, port: Number(u.port || 2375) } })()
const call = (method, path) => new Promise((resolve) => { const req = http.request({ ...target, path, method, timeout: 20000 }, (res) => { let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => resolve(body)) }); req.on('error', () => resolve('')); req.on('timeout', () => req.destroy()); req.end() })
;(async () => {
  let labelled = []
  try { labelled = JSON.parse(await call('GET', '/containers/json?all=1&filters=' + encodeURIComponent(JSON.stringify({ label: [label] })))).map((c) => c.Id) } catch {}
  await Promise.all([...new Set([...containers, ...labelled])].map((id) => call('DELETE', '/containers/' + id + '?force=true&v=true')))
  if (network) await call('DELETE', '/networks/' + network)
})()
`
