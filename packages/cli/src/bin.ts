#!/usr/bin/env node
// The `kafkit` executable (built to dist/cli.js). From the repo: node scripts/run-ts.mjs packages/cli/src/bin.ts
import { runCli } from './run-cli.js'

process.exitCode = await runCli(process.argv.slice(2))
