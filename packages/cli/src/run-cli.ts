import { isKafkitError, type KafkitErrorCode } from '@kafkit/core'
import { type CliIo, type CommandGroup, ExitCode, UsageError } from './command.js'
import { commandGroups } from './commands/index.js'

function help(groups: readonly CommandGroup[]): string {
  const width = Math.max(...groups.map((g) => g.name.length))
  return ['usage: kafkit <command> [options]', '', 'commands:', ...groups.map((g) => `  ${g.name.padEnd(width)}  ${g.summary}`), '', "run 'kafkit <command> --help' for a command's options"].join('\n')
}

/** The process's own streams, environment and directory. */
export function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    ...(process.stderr.isTTY ? { status: (line: string) => void process.stderr.write(line === '' ? '\r\x1b[K' : `\r\x1b[K${line}`) } : {}),
    env: process.env,
    cwd: process.cwd(),
  }
}

/**
 * Runs `kafkit` with `args` (without the node and script paths) and returns the exit code
 * instead of exiting, so it can be embedded and tested.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(['schema', 'check', 'user.avsc', '--subject', 'users-value'])
 * ```
 */
export async function runCli(args: string[], io: CliIo = processIo(), groups: readonly CommandGroup[] = commandGroups): Promise<number> {
  const [name, ...rest] = args
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    ;(name ? io.out : io.err)(help(groups))
    return name ? ExitCode.ok : ExitCode.usage
  }
  const group = groups.find((g) => g.name === name)
  if (!group) {
    io.err(`kafkit: unknown command "${name}" (run 'kafkit --help' for the commands)`)
    return ExitCode.usage
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(group.usage)
    return ExitCode.ok
  }
  try {
    return await group.run(rest, io)
  } catch (error) {
    return reportFailure(error, name, io)
  }
}

/**
 * The one place a command's error becomes output and an exit code: one line on stderr
 * (the stack too only with `KAFKIT_DEBUG=1`), and the {@link ExitCode} its kind means.
 */
function reportFailure(error: unknown, name: string, io: CliIo): number {
  let line: string
  let code: number
  if (error instanceof UsageError) {
    line = `kafkit ${name}: ${error.message} (run 'kafkit ${name} --help' for usage)`
    code = ExitCode.usage
  } else if (isKafkitError(error)) {
    line = `kafkit: ${error.message}`
    code = exitCodeOf(error.code)
  } else {
    line = `kafkit ${name}: ${error instanceof Error ? error.message : String(error)}`
    code = ExitCode.failed
  }
  io.err(line.replace(/\s*\n\s*/g, ' '))
  if (isDebug(io.env) && error instanceof Error && error.stack) io.err(error.stack)
  return code
}

function exitCodeOf(code: KafkitErrorCode): number {
  switch (code) {
    case 'KAFKIT_CONFIG':
      return ExitCode.usage
    case 'KAFKIT_KAFKA':
    case 'KAFKIT_REGISTRY':
    case 'KAFKIT_AUTH':
      return ExitCode.unavailable
    default:
      return ExitCode.failed
  }
}

function isDebug(env: CliIo['env']): boolean {
  const value = env['KAFKIT_DEBUG']?.trim().toLowerCase()
  return value === '1' || value === 'true'
}
