import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { TestkitError } from './errors.js'
import { type JavaNeed, javaVersionProblem, parseJavaVersion } from './versions.js'

const hints: Record<string, string> = {
  java: 'install Java 17+ (Debian: apt-get install openjdk-17-jre-headless; Kafka 4.x brokers and the schema registry need 17, Kafka 3.9 brokers 11), or use a Docker engine',
  mvn: 'install Maven 3.6+ (Debian: apt-get install maven); it resolves the Kafka jars from Maven Central',
}

/**
 * Throws a {@link TestkitError} naming the missing program and how to get it,
 * instead of the spawn ENOENT a user would otherwise see.
 */
export function requireCommand(command: string, versionArgs: string[] = ['-version']): void {
  const result = spawnSync(command, versionArgs, { stdio: 'ignore', timeout: 30_000 })
  if (result.error || result.status !== 0) throw missingTool(command, versionArgs, result.error)
}

function missingTool(command: string, versionArgs: string[], error: Error | undefined): TestkitError {
  return new TestkitError(
    'TESTKIT_MISSING_TOOL',
    `${command} is required by the testkit's local JVM backend but ${error ? 'was not found on PATH' : `'${command} ${versionArgs.join(' ')}' failed`}: ${hints[command] ?? `install ${command}`}.`,
    { cause: error },
  )
}

/** The first `command` on PATH, as a shell would run it (undefined when there is none). */
export function whichCommand(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * Checks that `java` runs and is recent enough for everything the cluster starts (see
 * {@link javaNeeds}): Java 17 for Kafka 4.x brokers and the registry, 11 for Kafka 3.x.
 * @returns the major version found (undefined when `java -version` printed no version we know)
 * @throws TestkitError TESTKIT_MISSING_TOOL without Java, or with one naming the Java found and the one needed
 */
export function requireJava(needs: JavaNeed[]): number | undefined {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 30_000 })
  if (result.error || result.status !== 0) throw missingTool('java', ['-version'], result.error)
  const found = parseJavaVersion(`${result.stderr ?? ''}\n${result.stdout ?? ''}`)
  const path = whichCommand('java')
  const problem = javaVersionProblem(found, needs, `java on PATH${path ? ` (${path})` : ''}`)
  if (problem) throw new TestkitError('TESTKIT_MISSING_TOOL', problem)
  return found
}
