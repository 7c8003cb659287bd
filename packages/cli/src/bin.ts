#!/usr/bin/env node
// The `kafkit` executable (built to dist/cli.js). From the repo: node scripts/run-ts.mjs packages/cli/src/bin.ts
import { runCli } from './run-cli.js'

const code = await runCli(process.argv.slice(2))
process.exitCode = code
// The command is done and has said so. A connection still closing in the background (kafkajs
// spends its request timeout letting go of a broker that stopped answering) must not keep the
// process alive for a minute: past a short grace it exits with the command's code. The timer
// is unref'd, so a process with nothing left open exits at once, as before.
setTimeout(() => process.exit(code), 2_000).unref()
