/**
 * `@kafkit/cli`: the `kafkit` command line, also usable as a library (`runCli`) to embed
 * or extend with more command groups.
 * @packageDocumentation
 */
export { runCli, processIo } from './run-cli.js'
export { commandGroups } from './commands/index.js'
export { ExitCode, UsageError, type CliIo, type CommandGroup } from './command.js'
