// Runs a TypeScript file from the repo against package sources (the `@kafkit/source`
// export condition), so no build step is needed first: node scripts/run-ts.mjs <file.ts> [args…]
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const [file, ...args] = process.argv.slice(2)
if (!file) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args…]')
  process.exit(2)
}
const tsx = join(root, 'node_modules', '.bin', 'tsx')
const result = spawnSync(tsx, ['--conditions=@kafkit/source', file, ...args], {
  stdio: 'inherit',
  env: { KAFKAJS_NO_PARTITIONER_WARNING: '1', ...process.env },
})
if (result.error) {
  console.error(`could not run tsx (${result.error.message}); run 'npm ci' first`)
  process.exit(1)
}
process.exit(result.status ?? 1)
