import { spawnSync } from 'node:child_process'
import { TestkitError } from './errors.js'

const hints: Record<string, string> = {
  java: 'install Java 17+ (Debian: apt-get install openjdk-17-jre-headless), or use a Docker engine',
  mvn: 'install Maven 3.6+ (Debian: apt-get install maven); it resolves the Kafka jars from Maven Central',
}

/**
 * Throws a {@link TestkitError} naming the missing program and how to get it,
 * instead of the spawn ENOENT a user would otherwise see.
 */
export function requireCommand(command: string, versionArgs: string[] = ['-version']): void {
  const result = spawnSync(command, versionArgs, { stdio: 'ignore', timeout: 30_000 })
  if (result.error || result.status !== 0) {
    throw new TestkitError(
      'TESTKIT_MISSING_TOOL',
      `${command} is required by the testkit's local JVM backend but ${result.error ? 'was not found on PATH' : `'${command} ${versionArgs.join(' ')}' failed`}: ${hints[command] ?? `install ${command}`}.`,
      { cause: result.error },
    )
  }
}
