/**
 * The images of the `containers` backend.
 *
 * Two image sets, configured the same way (the Confluent environment-variable convention):
 * - `confluent`: the public confluentinc/cp-* images, pulled by testcontainers. The default
 *   for a Docker engine or any engine the user brought.
 * - `kafkit`: built on this machine when no registry can be reached: the default on the
 *   testkit's own podman service. A Debian trixie + OpenJDK 21 root file system made by
 *   debootstrap and imported as `localhost/kafkit/base`, then Kafka/ZooKeeper and Apicurio
 *   Registry images FROM it, with the jars the testkit caches from Maven Central COPY'd in.
 *   Every tag carries a hash of its inputs, so `podman image exists` is the whole cache check
 *   and a changed entrypoint script rebuilds by itself.
 *
 * Why COPY rather than bind-mounting the jar cache: the images are then self-contained and
 * immutable (no container depends on a host path that a cache cleanup may delete, no SELinux
 * relabelling of bind mounts on Fedora-like hosts), and the build costs ~3 s once.
 *
 * Why trixie + JDK 21 rather than bookworm + JRE 17: Apicurio Registry 3.3 is compiled for
 * Java 21 (class file 65) and fails on 17; Kafka 3.9 supports 21, so one base serves both.
 *
 * Environment: `KAFKIT_IMAGES` = `confluent` | `kafkit` picks the set; `KAFKIT_KAFKA_IMAGE`,
 * `KAFKIT_ZOOKEEPER_IMAGE`, `KAFKIT_REGISTRY_IMAGE` replace single images (used as given,
 * never built); the Debian archive is the one this machine's apt uses (see apt-mirror.ts),
 * `KAFKIT_DEBIAN_MIRROR` overrides it.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { cacheRoot, ensureKafkaJars, ensureRegistryDist, kafkaVersion, packageDir, REGISTRY_ARTIFACT } from '../cache.js'
import { TestkitError } from '../errors.js'
import { modeFor, parseKafkaVersion } from '../versions.js'
import type { ContainerEngine } from './engine.js'
import { podmanServicePaths } from './engine.js'
import { debianMirror } from './apt-mirror.js'
import { withFileLock } from './lock.js'

/** Public images used with a Docker engine: Confluent Platform 7.9 ships Apache Kafka 3.9. */
export const CONFLUENT_VERSION = '7.9.5'

/** Bump to rebuild the local base image (e.g. to pick up Debian security updates). */
const BASE_REVISION = '1'
const DEBIAN_SUITE = 'trixie'
const JAVA_PACKAGE = 'openjdk-21-jre-headless'

/** The images one cluster runs. */
export interface ContainerImages {
  readonly set: 'confluent' | 'kafkit'
  readonly kafka: string
  readonly zookeeper: string
  /** Only resolved (and built) when a registry was asked for. */
  readonly registry: string | undefined
}

/** What {@link ensureImages} needs to know. */
export interface EnsureImagesOptions {
  readonly engine: ContainerEngine
  readonly mode: 'zookeeper' | 'kraft'
  readonly schemaRegistry: boolean
  /** The Kafka release of the `kafkit` images (their jar set and tags). @default kafkaVersion() */
  readonly kafkaVersion?: string
}

/**
 * Resolves the image names for this engine and, for the `kafkit` set, builds whatever is not
 * in the engine's image store yet (base ~45 s once, Kafka/registry images ~3-5 s once).
 * @throws TestkitError TESTKIT_ENGINE_UNAVAILABLE when a local build is needed but impossible
 */
export async function ensureImages(opts: EnsureImagesOptions, log: (line: string) => void): Promise<ContainerImages> {
  const set = imageSet(opts.engine)
  const env = process.env
  const release = parseKafkaVersion(opts.kafkaVersion ?? kafkaVersion())
  const version = release.version
  // No ZooKeeper image from a jar set without ZooKeeper (Kafka 4.x).
  modeFor(release, opts.mode)
  if (set === 'confluent') {
    if (release.major !== 3 && !env['KAFKIT_KAFKA_IMAGE']) {
      throw new TestkitError(
        'TESTKIT_BAD_OPTIONS',
        `containers backend: the confluent image set is Confluent Platform ${CONFLUENT_VERSION}, which ships Kafka 3.9, not Kafka ${version}. ` +
          `For Kafka ${version} use the JVM backend (backend: 'jvm'), the locally built images (KAFKIT_IMAGES=kafkit, with podman), ` +
          `or name an image of that release in KAFKIT_KAFKA_IMAGE (configured by the same KAFKA_* environment variables; not tested by kafkit).`,
      )
    }
    return {
      set,
      kafka: env['KAFKIT_KAFKA_IMAGE'] ?? `confluentinc/cp-kafka:${CONFLUENT_VERSION}`,
      zookeeper: env['KAFKIT_ZOOKEEPER_IMAGE'] ?? `confluentinc/cp-zookeeper:${CONFLUENT_VERSION}`,
      registry: opts.schemaRegistry ? (env['KAFKIT_REGISTRY_IMAGE'] ?? `confluentinc/cp-schema-registry:${CONFLUENT_VERSION}`) : undefined,
    }
  }
  if (opts.engine.kind !== 'podman') {
    throw buildError('the kafkit image set is built with podman; with Docker use KAFKIT_IMAGES=confluent (the default)')
  }
  const needKafka = !env['KAFKIT_KAFKA_IMAGE']
  const needZookeeper = opts.mode === 'zookeeper' && !env['KAFKIT_ZOOKEEPER_IMAGE']
  const needRegistry = opts.schemaRegistry && !env['KAFKIT_REGISTRY_IMAGE']
  // Resolve the downloads before taking the build lock: they have their own.
  const libs = needKafka || needZookeeper ? await ensureKafkaJars(log, version) : undefined
  const registryDist = needRegistry ? await ensureRegistryDist(log) : undefined

  const lockDir = join(cacheRoot(), 'images', 'build.lock')
  mkdirSync(join(cacheRoot(), 'images'), { recursive: true })
  return withFileLock(lockDir, async () => {
    const started = Date.now()
    let built = false
    const base = `localhost/kafkit/base:${DEBIAN_SUITE}-jre21-r${BASE_REVISION}`
    const ensureBase = async () => {
      if (imageExists(base)) return
      await buildBaseImage(base, log)
      built = true
    }
    let kafka = env['KAFKIT_KAFKA_IMAGE'] ?? ''
    let zookeeper = env['KAFKIT_ZOOKEEPER_IMAGE'] ?? ''
    if (libs) {
      const dir = join(packageDir(), 'containers', 'kafka')
      const hash = inputsHash([base, file(dir, 'Containerfile'), file(dir, 'kafkit-kafka.sh'), readdirSync(libs).sort().join('\n')])
      const kafkaImage = `localhost/kafkit/kafka:${version}-${hash}`
      if (!imageExists(kafkaImage)) {
        await ensureBase()
        await buildImage(kafkaImage, join(dir, 'Containerfile'), { BASE_IMAGE: base }, log, (context) => {
          linkTree(libs, join(context, 'libs'))
          copyFileSync(join(dir, 'kafkit-kafka.sh'), join(context, 'kafkit-kafka.sh'))
        })
        built = true
      }
      if (needKafka) kafka = kafkaImage
      if (needZookeeper) {
        zookeeper = `localhost/kafkit/zookeeper:${version}-${inputsHash([kafkaImage, file(dir, 'Containerfile.zookeeper')])}`
        if (!imageExists(zookeeper)) {
          await buildImage(zookeeper, join(dir, 'Containerfile.zookeeper'), { KAFKA_IMAGE: kafkaImage }, log, () => {})
          built = true
        }
      }
    }
    let registry = opts.schemaRegistry ? env['KAFKIT_REGISTRY_IMAGE'] : undefined
    if (registryDist) {
      const dir = join(packageDir(), 'containers', 'registry')
      const hash = inputsHash([base, file(dir, 'Containerfile'), file(dir, 'kafkit-registry.sh'), REGISTRY_ARTIFACT.version])
      registry = `localhost/kafkit/apicurio-registry:${REGISTRY_ARTIFACT.version}-${hash}`
      if (!imageExists(registry)) {
        await ensureBase()
        await buildImage(registry, join(dir, 'Containerfile'), { BASE_IMAGE: base }, log, (context) => {
          mkdirSync(join(context, 'apicurio'))
          for (const entry of readdirSync(registryDist)) {
            // Maven's unpacker leaves PaxHeaders.* folders and our .complete marker beside the app.
            if (entry.startsWith('PaxHeaders') || entry.startsWith('.')) continue
            linkTree(join(registryDist, entry), join(context, 'apicurio', entry))
          }
          copyFileSync(join(dir, 'kafkit-registry.sh'), join(context, 'kafkit-registry.sh'))
        })
        built = true
      }
    }
    if (built) log(`kafkit: local images ready in ${((Date.now() - started) / 1000).toFixed(1)} s (cached for later runs)`)
    return { set: 'kafkit' as const, kafka, zookeeper, registry }
  })
}

/** `KAFKIT_IMAGES`, else `kafkit` on the testkit's own podman service, else `confluent`. */
function imageSet(engine: ContainerEngine): 'confluent' | 'kafkit' {
  const chosen = process.env['KAFKIT_IMAGES']
  if (chosen === 'confluent' || chosen === 'kafkit') return chosen
  if (chosen) throw new TestkitError('TESTKIT_BAD_OPTIONS', `KAFKIT_IMAGES must be 'confluent' or 'kafkit', not '${chosen}'`)
  // Our own podman service exists because this machine has no Docker engine; on such machines
  // (sandboxes, CI without registry access) pulling is not an option.
  return engine.kind === 'podman' && engine.dockerHost === `unix://${podmanServicePaths().socket}` ? 'kafkit' : 'confluent'
}

/** debootstrap a minimal Debian with a headless JRE and import it as an image. */
async function buildBaseImage(name: string, log: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw buildError('building the base image with debootstrap needs root; run as root once, or use KAFKIT_IMAGES=confluent with registry access')
  }
  if (!commandWorks('debootstrap', ['--version'])) {
    if (!commandWorks('apt-get', ['--version'])) throw buildError('debootstrap is not installed and apt-get is not available')
    log('kafkit: installing debootstrap with apt-get (once)')
    const result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'debootstrap'], {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
    if (result.status !== 0) throw buildError(`apt-get install debootstrap failed:\n${tail(`${result.stdout}${result.stderr}`, 10)}`)
  }
  const mirror = debianMirror()
  if (mirror === undefined) {
    throw buildError("no Debian archive found in this machine's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/) for its release; set KAFKIT_DEBIAN_MIRROR to a Debian archive URL")
  }
  const rootfs = join(cacheRoot(), 'images', `rootfs.partial-${process.pid}`)
  rmSync(rootfs, { recursive: true, force: true })
  const started = Date.now()
  log(`kafkit: building the base image ${name}: debootstrap ${DEBIAN_SUITE} + ${JAVA_PACKAGE} from ${mirror} (once, ~45 s)`)
  try {
    await run('debootstrap', ['--variant=minbase', `--include=${JAVA_PACKAGE}`, DEBIAN_SUITE, rootfs, mirror], 'debootstrap')
    // Package caches and docs are a third of the tree and never used in a container.
    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/info']) {
      const path = join(rootfs, dir)
      if (!existsSync(path)) continue
      for (const entry of readdirSync(path)) {
        if (entry === 'partial' || entry === 'lock') continue
        rmSync(join(path, entry), { recursive: true, force: true })
      }
    }
    await run(
      'sh',
      [
        '-c',
        'tar -C "$1" -c . | podman import --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" --change "ENV LANG=C.UTF-8" - "$2"',
        'import',
        rootfs,
        name,
      ],
      'podman import',
    )
  } finally {
    rmSync(rootfs, { recursive: true, force: true })
  }
  log(`kafkit: base image ${name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

/** `podman build` of one Containerfile in a fresh context dir that `fill` populates. */
async function buildImage(
  name: string,
  containerfile: string,
  buildArgs: Record<string, string>,
  log: (line: string) => void,
  fill: (context: string) => void,
): Promise<void> {
  const context = join(cacheRoot(), 'images', `context.partial-${process.pid}`)
  rmSync(context, { recursive: true, force: true })
  mkdirSync(context, { recursive: true })
  const started = Date.now()
  try {
    fill(context)
    const args = ['build', '--pull=never', '-q', '-t', name, '-f', containerfile]
    for (const [key, value] of Object.entries(buildArgs)) args.push('--build-arg', `${key}=${value}`)
    await run('podman', [...args, context], `podman build ${name}`)
  } finally {
    rmSync(context, { recursive: true, force: true })
  }
  log(`kafkit: built image ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

function imageExists(name: string): boolean {
  return spawnSync('podman', ['image', 'exists', name], { stdio: 'ignore' }).status === 0
}

/** Hard-links a file tree (cheap, same file system) and copies where linking is refused. */
function linkTree(from: string, to: string): void {
  if (statSync(from).isDirectory()) {
    mkdirSync(to, { recursive: true })
    for (const entry of readdirSync(from)) linkTree(join(from, entry), join(to, entry))
    return
  }
  try {
    linkSync(from, to)
  } catch {
    cpSync(from, to)
  }
}

function file(dir: string, name: string): string {
  return readFileSync(join(dir, name), 'utf8')
}

function inputsHash(parts: string[]): string {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part).update('\0')
  return hash.digest('hex').slice(0, 12)
}

/** Runs a command; rejects with the tail of its output when it fails. */
function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-20_000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', (error) => reject(buildError(`${what}: could not run ${command}: ${error.message}`)))
    child.on('close', (code) => (code === 0 ? resolve() : reject(buildError(`${what} failed (exit ${code}):\n${tail(output, 25)}`))))
  })
}

function commandWorks(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' })
  return !result.error && result.status === 0
}

function buildError(message: string): TestkitError {
  return new TestkitError('TESTKIT_ENGINE_UNAVAILABLE', `containers backend: cannot build the local images: ${message}`)
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}
