// `npm run kafka:up` / `npm run kafka:down`: a local Kafka + ZooKeeper + schema registry in
// the background, described in .kafkit/cluster.json for examples and people to use.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDetachedKafka, stopDetachedKafka, type DetachedHandle } from '@kafkit/testkit'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const stateFile = join(root, '.kafkit', 'cluster.json')

interface ClusterFile {
  bootstrapServers: string
  schemaRegistryUrl: string | undefined
  zookeeper: string | undefined
  mode: string
  backend: string
  logDir: string
  handle: DetachedHandle
}

async function up(): Promise<void> {
  if (existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterFile
    console.error(`a stack is already up (${state.backend}, ${state.bootstrapServers}); 'npm run kafka:down' stops it`)
    process.exit(1)
  }
  const kraft = process.argv.includes('--kraft')
  // Without --kraft, the release's default: ZooKeeper on 3.9, KRaft on a 4.x KAFKIT_KAFKA_VERSION.
  const cluster = await startDetachedKafka({ schemaRegistry: true, ...(kraft ? { mode: 'kraft' as const } : {}) })
  const state: ClusterFile = {
    bootstrapServers: cluster.bootstrapServers,
    schemaRegistryUrl: cluster.schemaRegistryUrl,
    zookeeper: cluster.zookeeper,
    mode: cluster.mode,
    backend: cluster.backend,
    logDir: cluster.logDir,
    handle: cluster.detachedHandle as DetachedHandle,
  }
  mkdirSync(dirname(stateFile), { recursive: true })
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`)
  console.log(`Kafka is up (${cluster.mode}, ${cluster.backend} backend)
  KAFKA_BROKERS=${cluster.bootstrapServers}
  SCHEMA_REGISTRY_URL=${cluster.schemaRegistryUrl}
  logs: ${cluster.logDir}
written to ${stateFile}; stop it with 'npm run kafka:down'`)
}

async function down(): Promise<void> {
  if (!existsSync(stateFile)) {
    console.log('no stack is up (no .kafkit/cluster.json)')
    return
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterFile
  await stopDetachedKafka(state.handle)
  rmSync(stateFile, { force: true })
  console.log(`stopped the ${state.backend} stack at ${state.bootstrapServers}`)
}

const command = process.argv[2]
if (command === 'up') await up()
else if (command === 'down') await down()
else {
  console.error('usage: kafka.ts up [--kraft] | down')
  process.exit(2)
}
