// Which Kafka release asks for what (mode, logging, Java), and which Java a machine has: the
// pure logic on version strings and `java -version` outputs, plus the fail-fast refusals of
// startKafka that run before anything is downloaded or started.
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TestkitError, startKafka } from '@kafkit/testkit'
import { kafkaMavenArgs } from '../../src/internal/cache.js'
import { kraftClusterId } from '../../src/internal/containers/broker-env.js'
import { ensureImages } from '../../src/internal/containers/images.js'
import { LOG4J2_PROPERTIES, clusterSizedDefaults } from '../../src/internal/jvm/properties.js'
import { requireJava } from '../../src/internal/tools.js'
import { javaNeeds, javaVersionProblem, kafkaTraits, modeFor, parseJavaVersion, parseKafkaVersion } from '../../src/internal/versions.js'

const savedEnv = { ...process.env }
const dirs: string[] = []
afterEach(() => {
  process.env = { ...savedEnv }
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }))
})

/** A `java` on PATH that prints `versionOutput` to stderr, as `java -version` does. */
function fakeJava(versionOutput: string): string {
  const bin = mkdtempSync(join(tmpdir(), 'kafkit-fake-java-'))
  dirs.push(bin)
  writeFileSync(join(bin, 'java'), `#!/bin/sh\ncat >&2 <<'EOF'\n${versionOutput}\nEOF\n`)
  chmodSync(join(bin, 'java'), 0o755)
  return bin
}

describe('Kafka releases', () => {
  it('parses release numbers and refuses anything else', () => {
    expect(parseKafkaVersion('4.1.2')).toEqual({ version: '4.1.2', major: 4, minor: 1, patch: 2 })
    expect(parseKafkaVersion('3.9.2')).toMatchObject({ major: 3, minor: 9 })
    expect(parseKafkaVersion('4.0.0-rc1')).toMatchObject({ version: '4.0.0-rc1', major: 4 })
    for (const bad of ['4.1', 'latest', '', 'v4.1.2', 4.1, undefined]) {
      expect(() => parseKafkaVersion(bad)).toThrow(/kafkaVersion \(or KAFKIT_KAFKA_VERSION\) must be a Kafka release like '3\.9\.2'/)
    }
  })

  it('knows what changed in Kafka 4.0: no ZooKeeper, log4j2, Java 17', () => {
    expect(kafkaTraits(parseKafkaVersion('3.9.2'))).toEqual({ zookeeper: true, logging: 'reload4j', minJava: 11 })
    expect(kafkaTraits(parseKafkaVersion('4.1.2'))).toEqual({ zookeeper: false, logging: 'log4j2', minJava: 17 })
    expect(kafkaTraits(parseKafkaVersion('4.4.0'))).toEqual({ zookeeper: false, logging: 'log4j2', minJava: 17 })
  })

  it('defaults to ZooKeeper mode on 3.x and KRaft on 4.x, and refuses ZooKeeper on 4.x', () => {
    expect(modeFor(parseKafkaVersion('3.9.2'), undefined)).toBe('zookeeper')
    expect(modeFor(parseKafkaVersion('3.9.2'), 'kraft')).toBe('kraft')
    expect(modeFor(parseKafkaVersion('4.1.2'), undefined)).toBe('kraft')
    expect(() => modeFor(parseKafkaVersion('4.1.2'), 'zookeeper')).toThrow(/ZooKeeper mode was removed in Kafka 4\.0.*Use mode: 'kraft'/)
  })

  it('resolves 4.x jars with the log4j2 binding and 3.x jars with reload4j', () => {
    expect(kafkaMavenArgs('4.1.2', '/tmp/x')).toEqual(expect.arrayContaining(['-Dkafka.version=4.1.2', '-Dkafkit.logging=log4j2', '-DoutputDirectory=/tmp/x']))
    expect(kafkaMavenArgs('3.9.2', '/tmp/x')).not.toContain('-Dkafkit.logging=log4j2')
  })

  it('configures log4j2 for 4.x brokers, and leaves ZooKeeper settings out of KRaft brokers', () => {
    expect(LOG4J2_PROPERTIES).toMatch(/^appender\.stdout\.type=Console$/m)
    expect(LOG4J2_PROPERTIES).toMatch(/^rootLogger\.appenderRef\.stdout\.ref=STDOUT$/m)
    expect(LOG4J2_PROPERTIES).toMatch(/^logger\.quiet0\.name=kafka\.request\.logger$/m)
    expect(clusterSizedDefaults(1, 'zookeeper')['zookeeper.session.timeout.ms']).toBe('6000')
    expect(Object.keys(clusterSizedDefaults(3, 'kraft')).filter((key) => key.startsWith('zookeeper.'))).toEqual([])
  })
})

describe('KRaft cluster ids', () => {
  it('are 22 URL-safe base64 characters and never start with "-", which kafka-storage would take for an option', () => {
    // 1 in 64 random bytes strings encodes to a leading "-": 5 000 draws all but surely meet some.
    for (let i = 0; i < 5_000; i++) expect(kraftClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
  })
})

describe('startKafka refuses what a release cannot do, before starting or downloading anything', () => {
  it('refuses ZooKeeper mode on Kafka 4.x with TESTKIT_BAD_OPTIONS, naming the fix', async () => {
    // An empty cache: a start or a download would leave something in it (jars, a run record).
    const cache = mkdtempSync(join(tmpdir(), 'kafkit-cache-'))
    dirs.push(cache)
    process.env['KAFKIT_CACHE_DIR'] = cache
    const error = await startKafka({ kafkaVersion: '4.1.2', mode: 'zookeeper', backend: 'jvm', log: () => undefined }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TestkitError)
    expect(error).toMatchObject({ code: 'TESTKIT_BAD_OPTIONS' })
    expect((error as Error).message).toMatch(/mode 'zookeeper' is not available with Kafka 4\.1\.2: ZooKeeper mode was removed in Kafka 4\.0.*Use mode: 'kraft'/)
    expect(readdirSync(cache)).toEqual([])
  })

  it('applies the same rule to a 4.x default from KAFKIT_KAFKA_VERSION, and refuses a malformed version', async () => {
    process.env['KAFKIT_KAFKA_VERSION'] = '4.0.1'
    await expect(startKafka({ mode: 'zookeeper', backend: 'jvm', log: () => undefined })).rejects.toThrow(/not available with Kafka 4\.0\.1/)
    await expect(startKafka({ kafkaVersion: 'latest', backend: 'jvm', log: () => undefined })).rejects.toMatchObject({ code: 'TESTKIT_BAD_OPTIONS' })
  })

  it('refuses Kafka 4.x on the confluent image set (it ships Kafka 3.9), naming the alternatives', async () => {
    delete process.env['KAFKIT_KAFKA_IMAGE']
    process.env['KAFKIT_IMAGES'] = 'confluent'
    const error = await ensureImages({ engine: { kind: 'docker', dockerHost: 'unix:///nonexistent.sock' }, mode: 'kraft', schemaRegistry: false, kafkaVersion: '4.1.2' }, () => undefined).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TESTKIT_BAD_OPTIONS' })
    expect((error as Error).message).toMatch(/ships Kafka 3\.9, not Kafka 4\.1\.2.*backend: 'jvm'.*KAFKIT_IMAGES=kafkit.*KAFKIT_KAFKA_IMAGE/)
  })
})

describe('the Java version', () => {
  it('reads the major version from java -version outputs of several vendors and eras', () => {
    const outputs: [string, number][] = [
      ['openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)\nOpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)', 17],
      ['java version "1.8.0_401"\nJava(TM) SE Runtime Environment (build 1.8.0_401-b10)', 8],
      ['openjdk version "11.0.2" 2019-01-15', 11],
      ['openjdk version "21" 2023-09-19\nOpenJDK Runtime Environment (build 21+35-2513)', 21],
      ['openjdk version "25-ea" 2025-09-16', 25],
      ['java version "21.0.1" 2023-10-17 LTS\nJava(TM) SE Runtime Environment Oracle GraalVM 21.0.1+12.1', 21],
      ['Picked up JAVA_TOOL_OPTIONS: -Dfile.encoding=UTF-8\nopenjdk version "17.0.8.1" 2023-08-24\nIBM Semeru Runtime Open Edition 17.0.8.1', 17],
      ['openjdk 21.0.2 2024-01-16\nOpenJDK Runtime Environment Temurin-21.0.2+13', 21],
    ]
    for (const [output, major] of outputs) expect(parseJavaVersion(output), output).toBe(major)
    expect(parseJavaVersion('bash: java: command not found')).toBeUndefined()
    expect(parseJavaVersion('')).toBeUndefined()
  })

  it('needs Java 17 for Kafka 4.x brokers and for the registry, 11 for a lone Kafka 3.9 broker', () => {
    const k4 = javaNeeds(parseKafkaVersion('4.1.2'), { schemaRegistry: false, registryAuth: false })
    const k3 = javaNeeds(parseKafkaVersion('3.9.2'), { schemaRegistry: false, registryAuth: false })
    const k3Registry = javaNeeds(parseKafkaVersion('3.9.2'), { schemaRegistry: true, registryAuth: false })
    expect(javaVersionProblem(17, k4, 'java on PATH')).toBeUndefined()
    expect(javaVersionProblem(21, k4, 'java on PATH')).toBeUndefined()
    expect(javaVersionProblem(11, k3, 'java on PATH')).toBeUndefined()
    expect(javaVersionProblem(undefined, k4, 'java on PATH')).toBeUndefined()
    expect(javaVersionProblem(11, k4, 'java on PATH (/usr/bin/java)')).toBe(
      "Java 17 or newer is required by Kafka 4.1.2 brokers, but the java on PATH (/usr/bin/java) is Java 11. Install Java 17+ (Debian: apt-get install openjdk-17-jre-headless) and put it first on PATH, or use a Docker engine (backend: 'containers').",
    )
    expect(javaVersionProblem(8, k3, 'java on PATH')).toMatch(/^Java 11 or newer is required by Kafka 3\.9\.2 brokers, but the java on PATH is Java 8\./)
    expect(javaVersionProblem(11, k3Registry, 'java on PATH')).toMatch(/^Java 17 or newer is required by the schema registry \(Apicurio Registry 2\.6\), but the java on PATH is Java 11/)
  })

  it('fails the JVM backend with one message naming the Java found and the one needed, before any download', async () => {
    const bin = fakeJava('openjdk version "11.0.22" 2024-01-16\nOpenJDK Runtime Environment (build 11.0.22+7)')
    process.env['PATH'] = `${bin}:/usr/bin:/bin`
    const error = await startKafka({ backend: 'jvm', kafkaVersion: '4.1.2', log: () => undefined }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TESTKIT_MISSING_TOOL' })
    expect((error as Error).message).toContain(`Java 17 or newer is required by Kafka 4.1.2 brokers, but the java on PATH (${join(bin, 'java')}) is Java 11.`)
    // The same Java is enough for a Kafka 3.9 broker: requireJava passes and reports it.
    expect(requireJava(javaNeeds(parseKafkaVersion('3.9.2'), { schemaRegistry: false, registryAuth: false }))).toBe(11)
  })
})
