// `npm test`: unit and integration tests (the integration project starts a real Kafka +
// ZooKeeper + schema registry), then one closing line computed from vitest's own results:
// `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, '.kafkit', 'test-results.json')
mkdirSync(dirname(out), { recursive: true })
rmSync(out, { force: true })

const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)]
const run = spawnSync('npx', ['--no-install', ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' } })

if (!existsSync(out)) {
  console.log('0 passed, 1 failed')
  console.error(`vitest wrote no results (exit ${run.status ?? run.signal}); see its output above`)
  process.exit(run.status || 1)
}
const results = JSON.parse(readFileSync(out, 'utf8'))
let passed = 0
let failed = 0
let skipped = 0
for (const file of results.testResults ?? []) {
  const tests = file.assertionResults ?? []
  // A file that failed to load (syntax error, failed hook) has no tests but is a failure.
  if (file.status === 'failed' && tests.every((t) => t.status !== 'failed')) failed++
  for (const test of tests) {
    if (test.status === 'passed') passed++
    else if (test.status === 'failed') failed++
    else skipped++
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 ? 1 : (run.status ?? 1))
