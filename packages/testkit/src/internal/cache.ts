import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TestkitError } from './errors.js'
import { requireCommand } from './tools.js'
import { KAFKA_VERSION, kafkaTraits, parseKafkaVersion } from './versions.js'

export { KAFKA_VERSION }

/**
 * The default Kafka release of `startKafka` (its `kafkaVersion` option overrides it):
 * `KAFKIT_KAFKA_VERSION` (another 3.9.x, or a 4.x), else {@link KAFKA_VERSION}.
 */
export function kafkaVersion(): string {
  return process.env['KAFKIT_KAFKA_VERSION'] || KAFKA_VERSION
}
/**
 * Apicurio Registry, whose `ccompat` API is Confluent Schema Registry compatible. Karapace is
 * not published on PyPI, and Apicurio 3.x needs Java 21; 2.6 runs on the Java 17 we require.
 */
export const REGISTRY_ARTIFACT = { groupId: 'io.apicurio', artifactId: 'apicurio-registry-app', version: '2.6.13.Final' }

/** The runnable jar inside the unpacked registry distribution. */
export const REGISTRY_JAR = `${REGISTRY_ARTIFACT.artifactId}-${REGISTRY_ARTIFACT.version}-runner.jar`

/** Root of everything the testkit downloads or builds: `KAFKIT_CACHE_DIR`, else `~/.cache/kafkit`. */
export function cacheRoot(): string {
  const root = process.env['KAFKIT_CACHE_DIR'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'kafkit')
  mkdirSync(root, { recursive: true })
  return resolve(root)
}

/** The testkit package's own folder (holds jvm/pom.xml), from source or from dist. */
export function packageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'jvm', 'pom.xml'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('@kafkit/testkit: jvm/pom.xml not found beside the package')
    dir = parent
  }
  return dir
}

/**
 * Resolves the Kafka broker jar set of one release (with ZooKeeper up to 3.9) from Maven
 * Central into the cache, once per version: later calls find the completed folder and
 * download nothing. Kafka 4.x gets the log4j2 SLF4J binding instead of reload4j (the pom's
 * `log4j2` profile).
 * @returns the folder of jars, for `java -cp '<dir>/*'`
 * @throws TestkitError TESTKIT_MISSING_TOOL without Maven, TESTKIT_DOWNLOAD_FAILED when Maven fails
 */
export async function ensureKafkaJars(log: (line: string) => void, version: string = kafkaVersion()): Promise<string> {
  const target = kafkaJarsDir(version)
  if (existsSync(join(target, '.complete'))) return target
  requireCommand('mvn', ['-v'])
  log(`kafkit: resolving Apache Kafka ${version} jars from Maven Central into ${target} (once)`)
  const staging = `${target}.partial-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  await fetchInto(staging, target, kafkaMavenArgs(version, staging), log)
  return target
}

/** Where {@link ensureKafkaJars} keeps the jar set of `version`: one folder per release. */
export function kafkaJarsDir(version: string): string {
  return join(cacheRoot(), `kafka-${version}`, 'libs')
}

/** The Maven command line that resolves the jar set of `version` into `outputDirectory`. */
export function kafkaMavenArgs(version: string, outputDirectory: string): string[] {
  const logging = kafkaTraits(parseKafkaVersion(version)).logging
  return [
    '-f',
    join(packageDir(), 'jvm', 'pom.xml'),
    'dependency:copy-dependencies',
    `-Dkafka.version=${version}`,
    ...(logging === 'log4j2' ? ['-Dkafkit.logging=log4j2'] : []),
    `-DoutputDirectory=${outputDirectory}`,
    '-DincludeScope=runtime',
  ]
}

/**
 * Unpacks the Apicurio Registry distribution (a Quarkus app) from Maven Central into the cache, once.
 * @returns the folder holding {@link REGISTRY_JAR}
 */
export async function ensureRegistryDist(log: (line: string) => void): Promise<string> {
  const { groupId, artifactId, version } = REGISTRY_ARTIFACT
  const target = join(cacheRoot(), `apicurio-registry-${version}`)
  if (existsSync(join(target, '.complete'))) return target
  requireCommand('mvn', ['-v'])
  log(`kafkit: fetching Apicurio Registry ${version} (Confluent-compatible schema registry, ~90 MB) from Maven Central (once)`)
  const staging = `${target}.partial-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  await fetchInto(staging, target, ['dependency:unpack', `-Dartifact=${groupId}:${artifactId}:${version}:tar.gz:all`, `-DoutputDirectory=${staging}`], log)
  return target
}

/**
 * Runs Maven into `staging`, then `prepare` (a one-time step on the fresh download), then moves
 * the result to `target`; a failed run leaves nothing behind.
 */
export async function fetchInto(staging: string, target: string, args: string[], log: (line: string) => void, prepare?: () => Promise<void>): Promise<void> {
  sweepAbandoned()
  try {
    await runMaven(args, log)
    await prepare?.()
    publish(staging, target)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/** Names of the cache's in-progress work, each with the pid of the process doing it. */
const IN_PROGRESS = [/\.partial-(\d+)$/, /^mvn-(\d+)-/, /^keycloak-build-(\d+)/]

/**
 * Removes what downloads or builds left in the cache when their process died before it could
 * clean up (a cancelled CI job, a killed terminal): staging folders of up to ~180 MB each.
 */
export function sweepAbandoned(root: string = cacheRoot()): void {
  const visit = (dir: string, depth: number) => {
    let entries: string[]
    try {
      entries = readdirSync(dir)
    } catch {
      return
    }
    for (const name of entries) {
      const pid = IN_PROGRESS.map((pattern) => pattern.exec(name)?.[1]).find((found) => found !== undefined)
      if (pid !== undefined) {
        if (!isAlive(Number(pid))) rmSync(join(dir, name), { recursive: true, force: true })
      } else if (depth > 0 && /^kafka-/.test(name)) {
        visit(join(dir, name), depth - 1)
      }
    }
  }
  visit(root, 1)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Moves a finished download into place; a concurrent run that got there first wins. */
function publish(staging: string, target: string): void {
  if (!existsSync(staging) || readdirSync(staging).length === 0) {
    throw new TestkitError('TESTKIT_DOWNLOAD_FAILED', `Maven finished but ${staging} is empty`)
  }
  writeFileSync(join(staging, '.complete'), new Date().toISOString())
  mkdirSync(dirname(target), { recursive: true })
  try {
    renameSync(staging, target)
  } catch (error) {
    if (!existsSync(join(target, '.complete'))) throw error
    rmSync(staging, { recursive: true, force: true })
  }
}

/** Runs Maven in batch mode, turning its transfer lines into a short progress report. */
export async function runMaven(args: string[], log: (line: string) => void): Promise<void> {
  // A pom-less 'mvn dependency:unpack' writes "already unpacked" markers below its cwd, and a
  // marker left by an earlier run makes the next one skip the unpack: each run gets its own.
  const cwd = mkdtempSync(join(cacheRoot(), `mvn-${process.pid}-`))
  try {
    await runMavenIn(cwd, args, log)
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
}

function runMavenIn(cwd: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // Its own process group, so a stalled Maven (and the JVM its script starts) can be killed.
    const child = spawn('mvn', ['-B', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const stallMs = Number(process.env['KAFKIT_DOWNLOAD_STALL_MS']) || 10 * 60_000
    let stalled = false
    let stallTimer: NodeJS.Timeout | undefined
    const armStallTimer = () => {
      clearTimeout(stallTimer)
      stallTimer = setTimeout(() => {
        stalled = true
        try {
          process.kill(-(child.pid as number), 'SIGKILL')
        } catch {
          child.kill('SIGKILL')
        }
      }, stallMs)
    }
    armStallTimer()
    const tail: string[] = []
    let downloaded = 0
    let bytes = 0
    let lastReport = Date.now()
    const onLine = (line: string) => {
      armStallTimer()
      tail.push(line)
      if (tail.length > 30) tail.shift()
      const match = /Downloaded from \S+: \S+ \(([\d.]+) (kB|MB|B)/.exec(line)
      if (!match) return
      downloaded++
      const size = Number(match[1])
      bytes += match[2] === 'MB' ? size * 1e6 : match[2] === 'kB' ? size * 1e3 : size
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now()
        log(`kafkit: downloaded ${downloaded} files, ${(bytes / 1e6).toFixed(1)} MB…`)
      }
    }
    let buffer = ''
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8')
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      lines.forEach(onLine)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', (error) => {
      clearTimeout(stallTimer)
      reject(new TestkitError('TESTKIT_MISSING_TOOL', `could not run mvn: ${error.message}`, { cause: error }))
    })
    child.on('close', (code) => {
      clearTimeout(stallTimer)
      if (stalled) {
        reject(
          new TestkitError(
            'TESTKIT_DOWNLOAD_FAILED',
            `mvn ${args.slice(0, 3).join(' ')} printed nothing for ${Math.round(stallMs / 1000)} s and was stopped; is Maven Central reachable? (KAFKIT_DOWNLOAD_STALL_MS sets the limit)\n--- last lines of Maven's output ---\n${tail.join('\n')}`,
          ),
        )
        return
      }
      if (code === 0) {
        if (downloaded > 0) log(`kafkit: downloaded ${downloaded} files, ${(bytes / 1e6).toFixed(1)} MB`)
        resolvePromise()
        return
      }
      reject(
        new TestkitError(
          'TESTKIT_DOWNLOAD_FAILED',
          `mvn ${args.slice(0, 3).join(' ')} failed (exit ${code}); is Maven Central reachable?\n--- last lines of Maven's output ---\n${tail.join('\n')}`,
        ),
      )
    })
  })
}
