/** Where a command writes and what it may read; tests pass their own. */
export interface CliIo {
  /** Writes one line to standard output. */
  out(line: string): void
  /** Writes one line to standard error. */
  err(line: string): void
  /**
   * Replaces the status line on a terminal's standard error (progress); `''` clears it.
   * Absent when standard error is not a terminal: commands then report progress with `err`.
   */
  status?(line: string): void
  /** Environment variables (e.g. `SCHEMA_REGISTRY_URL`). */
  env: Record<string, string | undefined>
  /** Directory relative paths are resolved against. */
  cwd: string
}

/**
 * Exit codes every command uses, so CI scripts can branch on them.
 * `0` success; `1` the check failed (e.g. incompatible schema); `2` usage or input error;
 * `3` a service (registry, broker) failed or could not be reached.
 */
export const ExitCode = { ok: 0, failed: 1, usage: 2, unavailable: 3 } as const

/**
 * A top-level command group (`kafkit <name> …`): one file under `src/commands/`, listed in
 * `src/commands/index.ts`. `run` gets the arguments after the group name and returns the
 * process exit code.
 */
export interface CommandGroup {
  /** The word after `kafkit`, e.g. `schema`. */
  name: string
  /** One line for `kafkit --help`. */
  summary: string
  /** Full help text for `kafkit <name> --help`. */
  usage: string
  run(args: string[], io: CliIo): Promise<number>
}

/** A usage error: printed with the group's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}
