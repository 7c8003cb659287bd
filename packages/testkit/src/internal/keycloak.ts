import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cacheRoot, fetchInto } from './cache.js'
import { TestkitError } from './errors.js'
import { freePort } from './ports.js'
import { type ManagedProcess, ProcessGroup, ownerMarker, tailFile } from './processes.js'
import { requireCommand } from './tools.js'

/**
 * Keycloak, the OpenID Connect server Apicurio Registry 2.x needs for HTTP basic auth: the
 * registry exchanges `clientId:clientSecret` for a token there. 26.x is the newest line; its
 * classes target Java 17 and this version was checked to run on it (Keycloak recommends 21).
 */
export const KEYCLOAK_ARTIFACT = { groupId: 'org.keycloak', artifactId: 'keycloak-quarkus-dist', version: '26.7.3' }

/** The realm made for the registry. */
export const KEYCLOAK_REALM = 'kafkit'

/** The client id the registry validates tokens as (Apicurio's `quarkus.oidc.client-id`). */
const REGISTRY_API_CLIENT = 'registry-api'

/** Keycloak's build-time options: fixed once at download, the same on every start. */
const BUILD_ARGS = ['start-dev', '--db=dev-mem']

const HOST = '127.0.0.1'

/** The JVM flags `bin/kc.sh` passes, without its shell wrapper (which would stand between us and the pid). */
function javaArgs(dist: string, home: string, heapMb: number): string[] {
  return [
    '-Xms64m',
    `-Xmx${heapMb}m`,
    '-XX:MetaspaceSize=96M',
    '-XX:MaxMetaspaceSize=256m',
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Dfile.encoding=UTF-8',
    '--add-opens=java.base/java.util=ALL-UNNAMED',
    '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
    '--add-opens=java.base/java.security=ALL-UNNAMED',
    '--add-opens=java.base/java.lang=ALL-UNNAMED',
    '-Duser.language=en',
    '-Duser.country=US',
    // The home holds conf/, providers/ and data/ (the realm import): one per cluster, while
    // the (read-only) jars stay in the cache.
    `-Dkc.home.dir=${home}`,
    `-Djboss.server.config.dir=${join(home, 'conf')}`,
    '-Djava.util.logging.manager=org.jboss.logmanager.LogManager',
    '-Dpicocli.disable.closures=true',
    '-Djava.util.concurrent.ForkJoinPool.common.threadFactory=io.quarkus.bootstrap.forkjoin.QuarkusForkJoinWorkerThreadFactory',
    '-cp',
    join(dist, 'lib', 'quarkus-run.jar'),
    'io.quarkus.bootstrap.runner.QuarkusEntryPoint',
  ]
}

/** The environment without `KC_*` settings of the user's own Keycloak, which would change ours. */
function keycloakEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('KC_') && !key.startsWith('KEYCLOAK_')))
}

/**
 * Unpacks Keycloak's server distribution from Maven Central into the cache and runs its
 * one-time Quarkus build (about a minute) for in-memory dev mode, once.
 * @returns the distribution's folder (holds `lib/quarkus-run.jar`)
 * @throws TestkitError TESTKIT_DOWNLOAD_FAILED when Maven fails, TESTKIT_PROCESS_EXITED when the build fails
 */
export async function ensureKeycloakDist(log: (line: string) => void): Promise<string> {
  const { groupId, artifactId, version } = KEYCLOAK_ARTIFACT
  const target = join(cacheRoot(), `keycloak-${version}`)
  const dist = (root: string) => join(root, `keycloak-${version}`)
  if (existsSync(join(target, '.complete'))) return dist(target)
  requireCommand('mvn', ['-v'])
  requireCommand('java', ['-version'])
  log(`kafkit: fetching Keycloak ${version} (OpenID Connect server for the registry's basic auth, ~180 MB) from Maven Central (once)`)
  const staging = `${target}.partial-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  const args = ['dependency:unpack', `-Dartifact=${groupId}:${artifactId}:${version}:zip`, `-DoutputDirectory=${staging}`]
  await fetchInto(staging, target, args, log, async () => {
    log(`kafkit: building Keycloak ${version} for in-memory dev mode (once, about a minute)`)
    await buildKeycloak(dist(staging))
  })
  return dist(target)
}

/**
 * Keycloak's start-up re-runs the Quarkus build when the build-time options differ from the
 * stored ones, rewriting `lib/quarkus/` and exiting with status 10 (kc.sh then starts it
 * again). Done once here, in the staging copy, so clusters never write into the shared cache.
 */
async function buildKeycloak(dist: string): Promise<void> {
  const group = new ProcessGroup(true)
  const home = mkdtempSync(join(cacheRoot(), 'keycloak-build-'))
  group.addDir(home)
  const logFile = join(cacheRoot(), `keycloak-build-${process.pid}.log`)
  rmSync(logFile, { force: true })
  try {
    const build = group.spawn('Keycloak build', 'java', [ownerMarker(group.ownerId), ...javaArgs(dist, home, 512), ...BUILD_ARGS, `--http-host=${HOST}`, `--http-port=${await freePort()}`], {
      logFile,
      env: keycloakEnv(),
    })
    const timer = setTimeout(() => void build.stop('SIGKILL'), 15 * 60_000)
    const code = await build.exited.finally(() => clearTimeout(timer))
    if (code !== '10' || !existsSync(join(dist, 'lib', 'quarkus', 'quarkus-application.dat'))) {
      throw new TestkitError('TESTKIT_PROCESS_EXITED', `the one-time Keycloak build ended with ${code}, not 10 (built); last lines of ${logFile}:\n${tailFile(logFile)}`)
    }
    rmSync(logFile, { force: true })
  } finally {
    await group.stopAll(2000)
  }
}

/** A realm with a confidential client per user whose service account holds the registry's admin role. */
export function registryRealm(users: { username: string; password: string }[]): object {
  return {
    realm: KEYCLOAK_REALM,
    enabled: true,
    // Apicurio caches an exchanged token for minutes: it must not expire before that.
    accessTokenLifespan: 3600,
    roles: { realm: [{ name: 'sr-admin' }, { name: 'sr-developer' }, { name: 'sr-readonly' }] },
    clients: [
      { clientId: REGISTRY_API_CLIENT, enabled: true, bearerOnly: true, protocol: 'openid-connect' },
      ...users.map((u) => ({
        clientId: u.username,
        enabled: true,
        publicClient: false,
        clientAuthenticatorType: 'client-secret',
        secret: u.password,
        serviceAccountsEnabled: true,
        standardFlowEnabled: false,
        directAccessGrantsEnabled: false,
        protocol: 'openid-connect',
      })),
    ],
    users: users.map((u) => ({
      username: `service-account-${u.username.toLowerCase()}`,
      enabled: true,
      serviceAccountClientId: u.username,
      realmRoles: ['sr-admin', `default-roles-${KEYCLOAK_REALM}`],
    })),
  }
}

export interface StartedKeycloak {
  process: ManagedProcess
  /** `http://127.0.0.1:<port>`: Apicurio's `registry.keycloak.url`. */
  baseUrl: string
  /** The realm's issuer URL. */
  issuerUrl: string
}

/**
 * Starts Keycloak (dev mode, in-memory database) on a free loopback port, importing
 * {@link registryRealm} at start. Does not wait: see {@link keycloakRealmAnswers}.
 */
export async function spawnKeycloak(options: {
  group: ProcessGroup
  dist: string
  root: string
  logFile: string
  marks: string[]
  users: { username: string; password: string }[]
  detached: boolean
}): Promise<StartedKeycloak> {
  const home = join(options.root, 'keycloak')
  mkdirSync(join(home, 'data', 'import'), { recursive: true })
  mkdirSync(join(home, 'conf'), { recursive: true })
  writeFileSync(join(home, 'data', 'import', `${KEYCLOAK_REALM}-realm.json`), JSON.stringify(registryRealm(options.users)))
  const port = await freePort()
  const process_ = options.group.spawn(
    'Keycloak',
    'java',
    [
      ...options.marks,
      // Built once by ensureKeycloakDist: never rebuild into the shared cache.
      '-Dkc.config.built=true',
      ...javaArgs(options.dist, home, 512),
      ...BUILD_ARGS,
      `--http-host=${HOST}`,
      `--http-port=${port}`,
      '--import-realm',
    ],
    { logFile: options.logFile, env: keycloakEnv(), detached: options.detached },
  )
  const baseUrl = `http://${HOST}:${port}`
  return { process: process_, baseUrl, issuerUrl: `${baseUrl}/realms/${KEYCLOAK_REALM}` }
}

/** True once the realm's OpenID configuration answers 200 (the realm is imported and served). */
export async function keycloakRealmAnswers(issuerUrl: string): Promise<boolean> {
  const response = await fetch(`${issuerUrl}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(3000) })
  await response.body?.cancel()
  return response.status === 200
}

/** Apicurio 2.x system properties for basic auth through `keycloak`, with role-based authorization. */
export function registryAuthProperties(keycloak: StartedKeycloak): string[] {
  return [
    '-Dregistry.auth.enabled=true',
    `-Dregistry.keycloak.url=${keycloak.baseUrl}`,
    `-Dregistry.keycloak.realm=${KEYCLOAK_REALM}`,
    `-Dquarkus.oidc.client-id=${REGISTRY_API_CLIENT}`,
    '-Dregistry.auth.basic-auth-client-credentials.enabled=true',
    '-Dregistry.auth.role-based-authorization=true',
  ]
}

/**
 * True when the registry lists subjects for these credentials: the whole chain (registry,
 * token exchange at Keycloak, role check) works.
 * @throws when it answers anything else, so a timeout says what it answered
 */
export async function registryAnswersWithAuth(url: string, auth: { username: string; password: string }): Promise<boolean> {
  const response = await fetch(`${url}/subjects`, {
    headers: { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` },
    signal: AbortSignal.timeout(5000),
  })
  await response.body?.cancel()
  if (response.ok) return true
  throw new Error(`GET /subjects with the configured credentials answered ${response.status}`)
}
