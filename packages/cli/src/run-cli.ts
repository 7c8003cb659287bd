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
    io.err(`kafkit: unknown command "${name}"\n\n${help(groups)}`)
    return ExitCode.usage
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(group.usage)
    return ExitCode.ok
  }
  try {
    return await group.run(rest, io)
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`kafkit ${name}: ${error.message}\n\n${group.usage}`)
      return ExitCode.usage
    }
    io.err(`kafkit ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    return ExitCode.failed
  }
}
