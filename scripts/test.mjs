// `npm test`: unit and integration tests (the integration project starts a real Kafka +
// ZooKeeper + schema registry), then one closing line computed from vitest's own results:
// `N passed, N failed, N skipped`.
//
// Backend of the shared cluster: KAFKIT_BACKEND when set. Otherwise containers when a Docker
// engine answers, or when this is a Linux machine where the testkit can run podman (podman
// installed, or root with apt-get to install it); the JVM backend when none of that works.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, '.kafkit', 'test-results.json')
mkdirSync(dirname(out), { recursive: true })
rmSync(out, { force: true })
const env = { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' }

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
const dockerEngine = Boolean(env.DOCKER_HOST) || existsSync('/var/run/docker.sock')
const podmanPossible = process.platform === 'linux' && (has('podman') || (process.getuid?.() === 0 && has('apt-get')))

if (!env.KAFKIT_BACKEND) {
  if (dockerEngine) env.KAFKIT_BACKEND = 'containers'
  else if (podmanPossible) {
    const prepared = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), ['--conditions=@kafkit/source', 'scripts/prepare-engine.ts'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      timeout: 15 * 60_000,
    })
    if (prepared.status === 0) {
      Object.assign(env, JSON.parse(prepared.stdout.trim().split('\n').pop() ?? '{}'), { KAFKIT_BACKEND: 'containers' })
    } else {
      console.error('kafkit: WARNING: the container engine could not be prepared (see above); the tests run on the JVM backend, and the containers backend tests are skipped')
      env.KAFKIT_BACKEND = 'jvm'
    }
  } else env.KAFKIT_BACKEND = 'jvm'
}
console.error(`kafkit: integration tests run on the ${env.KAFKIT_BACKEND} backend`)

// What git sees before the run: no install, test or clean-up may change a tracked file or
// leave an unignored one behind, so the same listing is expected afterwards.
const gitStatus = () => {
  const result = spawnSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' })
  return result.status === 0 ? result.stdout : undefined
}
const treeBefore = gitStatus()

const args = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)]
const run = spawnSync(join(root, 'node_modules', '.bin', 'vitest'), args, { cwd: root, stdio: 'inherit', env })

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
  // A file that failed to load (syntax error, failed hook) has no failed test but is a failure.
  if (file.status === 'failed' && tests.every((t) => t.status !== 'failed')) failed++
  for (const test of tests) {
    if (test.status === 'passed') passed++
    else if (test.status === 'failed') failed++
    else skipped++
  }
}
// vitest also fails a run for errors outside any test (an unhandled rejection, a failed
// global setup): count that as one failure, so the line never says 0 failed on a red run.
if (failed === 0 && run.status !== 0) {
  failed = 1
  console.error(`kafkit: vitest exited with ${run.status ?? run.signal} although no test failed: an error outside the tests (see "Unhandled Errors" above)`)
}
const treeAfter = gitStatus()
if (treeBefore !== undefined && treeAfter !== undefined && treeAfter !== treeBefore) {
  const before = new Set(treeBefore.split('\n'))
  const changed = treeAfter.split('\n').filter((line) => line && !before.has(line))
  failed++
  console.error(`kafkit: the test run changed the working tree (git status):\n${changed.join('\n') || treeAfter}`)
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 ? 1 : 0)
