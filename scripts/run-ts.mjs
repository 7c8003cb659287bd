// Runs a TypeScript file from the repo against package sources (the `@kafkit/source`
// export condition), so no build step is needed first: node scripts/run-ts.mjs <file.ts> [args…]
// With --built first, the workspace packages resolve as a service gets them: their built
// `dist/` through the `exports` map (the benchmarks; build first).
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const built = process.argv[2] === '--built'
const [file, ...args] = process.argv.slice(built ? 3 : 2)
if (!file) {
  console.error('usage: node scripts/run-ts.mjs [--built] <file.ts> [args…]')
  process.exit(2)
}
const tsx = join(root, 'node_modules', '.bin', 'tsx')
const child = spawn(tsx, [...(built ? [] : ['--conditions=@kafkit/source']), file, ...args], {
  stdio: 'inherit',
  env: { KAFKAJS_NO_PARTITIONER_WARNING: '1', ...process.env },
})
// A signal sent to this process alone (kill <pid>, a supervisor) reaches the program too, so
// its graceful shutdown runs; a terminal's Ctrl-C already reaches both.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
child.on('error', (error) => {
  console.error(`could not run tsx (${error.message}); run 'npm ci' first`)
  process.exit(1)
})
child.on('exit', (code, signal) => {
  if (signal) {
    // Leave the way the program left: by the same signal.
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.removeAllListeners(s)
    process.kill(process.pid, signal)
  } else process.exit(code ?? 1)
})
