#!/usr/bin/env node
// The `kafkit` executable (built to dist/cli.js). From the repo: node scripts/run-ts.mjs packages/cli/src/bin.ts
import { runCli } from './run-cli.js'

const code = await runCli(process.argv.slice(2))
process.exitCode = code
// Everything written reaches its reader first: writes to a pipe are asynchronous, and an exit
// before they drained would cut the output short (a `--json` listing piped on) and still say 0.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))))
// The command is done and its output delivered. A connection still closing in the background
// (kafkajs spends its request timeout letting go of a broker that stopped answering) must not
// keep the process alive for a minute: past a short grace it exits with the command's code.
// The timer is unref'd, so a process with nothing left open exits at once, as before.
setTimeout(() => process.exit(code), 2_000).unref()
