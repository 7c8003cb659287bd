/**
 * What a Kafka release needs from the rig, and which Java a machine has: pure logic, no I/O,
 * so it is unit-tested on version strings and `java -version` outputs.
 */
import { TestkitError } from './errors.js'

/** The Kafka release the rig runs by default: the last line with ZooKeeper mode. Kept in step with jvm/pom.xml. */
export const KAFKA_VERSION = '3.9.2'

/** A Kafka release number, as Maven Central names it (`4.1.2`, `3.9.0`, `4.0.0-rc1`). */
export interface KafkaRelease {
  readonly version: string
  readonly major: number
  readonly minor: number
  readonly patch: number
}

/**
 * Parses a Kafka release number.
 * @throws TestkitError TESTKIT_BAD_OPTIONS for anything that is not `<major>.<minor>.<patch>[-qualifier]`
 */
export function parseKafkaVersion(version: unknown): KafkaRelease {
  const match = typeof version === 'string' ? /^(\d+)\.(\d+)\.(\d+)(?:-[\w.-]+)?$/.exec(version.trim()) : null
  if (!match) {
    throw new TestkitError('TESTKIT_BAD_OPTIONS', `kafkaVersion (or KAFKIT_KAFKA_VERSION) must be a Kafka release like '3.9.2' or '4.1.2', got ${JSON.stringify(version)}`)
  }
  return { version: (version as string).trim(), major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) }
}

/** How the rig runs a given Kafka release. */
export interface KafkaTraits {
  /** ZooKeeper mode exists (removed in Kafka 4.0, KIP-833). */
  readonly zookeeper: boolean
  /** The logging backend of the broker: reload4j (log4j 1 API) up to 3.9, log4j2 from 4.0 (KIP-653). */
  readonly logging: 'reload4j' | 'log4j2'
  /** The oldest Java the brokers run on: 17 from Kafka 4.0 (KIP-750), 11 before (Java 8 was deprecated in 3.0). */
  readonly minJava: number
}

export function kafkaTraits(release: KafkaRelease): KafkaTraits {
  const four = release.major >= 4
  return { zookeeper: !four, logging: four ? 'log4j2' : 'reload4j', minJava: four ? 17 : 11 }
}

/**
 * The default mode for a release (ZooKeeper where it exists, as before; KRaft from 4.0), and
 * a clear refusal of ZooKeeper mode where it does not.
 * @throws TestkitError TESTKIT_BAD_OPTIONS for `zookeeper` on Kafka 4.0 or later
 */
export function modeFor(release: KafkaRelease, requested: 'zookeeper' | 'kraft' | undefined): 'zookeeper' | 'kraft' {
  const traits = kafkaTraits(release)
  const mode = requested ?? (traits.zookeeper ? 'zookeeper' : 'kraft')
  if (mode === 'zookeeper' && !traits.zookeeper) {
    throw new TestkitError(
      'TESTKIT_BAD_OPTIONS',
      `mode 'zookeeper' is not available with Kafka ${release.version}: ZooKeeper mode was removed in Kafka 4.0 (KIP-833). Use mode: 'kraft', or a Kafka 3.9.x release (the default, ${KAFKA_VERSION}) for ZooKeeper mode.`,
    )
  }
  return mode
}

/**
 * The major Java version in the output of `java -version` (which goes to stderr): `1.8.0_401`
 * is 8, `17.0.15` is 17, `21` is 21, `25-ea` is 25. Lines such as "Picked up JAVA_TOOL_OPTIONS"
 * before the version line are skipped.
 * @returns undefined when no version line is found
 */
export function parseJavaVersion(output: string): number | undefined {
  const quoted = /\bversion "([^"]+)"/.exec(output)?.[1]
  // Some builds print `openjdk 21.0.2 2024-01-16` (that is `java --version`'s form).
  const raw = quoted ?? /^(?:openjdk|java)\s+(\d[\w.+-]*)/m.exec(output)?.[1]
  if (raw === undefined) return undefined
  const parts = /^(\d+)(?:\.(\d+))?/.exec(raw)
  if (!parts) return undefined
  const first = Number(parts[1])
  // Before Java 9 the scheme was 1.<major>.
  if (first === 1 && parts[2] !== undefined) return Number(parts[2])
  return first
}

/** One reason to need a Java version: who needs it, and from which version. */
export interface JavaNeed {
  readonly minimum: number
  readonly who: string
}

/**
 * What the JVM backend needs of Java for a cluster: the brokers' own minimum, and Java 17 for
 * the schema registry (Apicurio Registry 2.6 is a Quarkus 3 app, class files for Java 17) and
 * for Keycloak (the registry's basic auth).
 */
export function javaNeeds(release: KafkaRelease, extras: { schemaRegistry: boolean; registryAuth: boolean }): JavaNeed[] {
  const needs: JavaNeed[] = [{ minimum: kafkaTraits(release).minJava, who: `Kafka ${release.version} brokers` }]
  if (extras.schemaRegistry) needs.push({ minimum: 17, who: 'the schema registry (Apicurio Registry 2.6)' })
  if (extras.registryAuth) needs.push({ minimum: 17, who: 'Keycloak (the registry’s basic auth)' })
  return needs
}

/**
 * Checks the Java found against what is needed.
 * @param found the major version from {@link parseJavaVersion} (undefined: could not tell, no check)
 * @param where how to name the Java found, e.g. `java on PATH (/usr/bin/java)`
 * @returns the message of the error to throw, or undefined when Java is recent enough
 */
export function javaVersionProblem(found: number | undefined, needs: JavaNeed[], where: string): string | undefined {
  if (found === undefined) return undefined
  const unmet = needs.filter((need) => found < need.minimum)
  if (unmet.length === 0) return undefined
  const minimum = Math.max(...unmet.map((need) => need.minimum))
  const who = unmet.filter((need) => need.minimum === minimum).map((need) => need.who)
  const whoText = who.length > 1 ? `${who.slice(0, -1).join(', ')} and ${who[who.length - 1]}` : who[0]
  return (
    `Java ${minimum} or newer is required by ${whoText}, but the ${where} is Java ${found}. ` +
    `Install Java ${minimum}+ (Debian: apt-get install openjdk-${Math.max(17, minimum)}-jre-headless) and put it first on PATH, or use a Docker engine (backend: 'containers').`
  )
}
