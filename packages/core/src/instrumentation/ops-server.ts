import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { checkHealthOptions, type HealthOptions, type HealthReport } from './health.js'

/** What the ops endpoint reads: a `Kafkit` client fits. */
export interface OpsSource {
  health(options?: HealthOptions): HealthReport
  readonly prometheus: Registry | undefined
}

/** Options of {@link startOpsServer}. */
export interface OpsServerOptions extends HealthOptions {
  /** @default 9464 (the OpenTelemetry Prometheus exporter's port) */
  port?: number
  /** @default '0.0.0.0' */
  host?: string
}

/** A running ops endpoint. */
export interface OpsServer {
  /** Base URL, e.g. `http://0.0.0.0:9464`. */
  readonly url: string
  readonly server: Server
  close(): Promise<void>
}

/**
 * A request handler for `GET /metrics` (Prometheus text), `GET /livez` and `GET /readyz`
 * (200 or 503, the {@link HealthReport} as JSON). Mount it in your own server, or use
 * {@link startOpsServer}. Returns false for any other path, so you can chain it.
 * @throws KafkitError `KAFKIT_CONFIG` for a negative or NaN `maxPollIntervalMs`/`maxPartitionHoldMs`
 */
export function opsHandler(sources: OpsSource | readonly OpsSource[], options: HealthOptions = {}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  // A limit that can never hold fails when the endpoint is made, not at each probe.
  checkHealthOptions(options)
  const list = Array.isArray(sources) ? (sources as readonly OpsSource[]) : [sources as OpsSource]
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') return false
    if (path === '/metrics') {
      const registries = [...new Set(list.map((source) => source.prometheus).filter((registry): registry is Registry => registry !== undefined))]
      const texts = await Promise.all(registries.map((registry) => registry.metrics()))
      res.writeHead(200, { 'content-type': registries[0]?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8' })
      res.end(texts.join('\n'))
      return true
    }
    if (path === '/livez' || path === '/readyz' || path === '/healthz') {
      const reports = list.map((source) => source.health(options))
      const report: HealthReport = {
        live: reports.every((r) => r.live),
        ready: reports.every((r) => r.ready),
        problems: reports.flatMap((r) => r.problems),
        consumers: reports.flatMap((r) => r.consumers),
      }
      const ok = path === '/readyz' ? report.ready : report.live
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
      res.end(JSON.stringify(report))
      return true
    }
    return false
  }
}

/**
 * Starts a small HTTP server for Prometheus scrapes and Kubernetes probes:
 * `/metrics`, `/livez` (liveness), `/readyz` (readiness).
 *
 * @example
 * ```ts
 * const ops = await startOpsServer(kafka, { port: 9464 })
 * // livenessProbe: httpGet /livez :9464, readinessProbe: httpGet /readyz :9464
 * ```
 * @throws KafkitError `KAFKIT_CONFIG` for a negative or NaN `maxPollIntervalMs`/`maxPartitionHoldMs`
 */
export async function startOpsServer(sources: OpsSource | readonly OpsSource[], options: OpsServerOptions = {}): Promise<OpsServer> {
  const handle = opsHandler(sources, options)
  const server = createServer((req, res) => {
    handle(req, res)
      .then((handled) => {
        if (!handled) {
          res.writeHead(404, { 'content-type': 'text/plain' })
          res.end('not found: try /metrics, /livez, /readyz\n')
        }
      })
      .catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`${error instanceof Error ? error.message : String(error)}\n`)
      })
  })
  const host = options.host ?? '0.0.0.0'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 9464, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host}:${port}`,
    server,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  }
}
