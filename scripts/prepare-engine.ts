// Preflight of `npm test`: on a machine with no Docker engine but with podman (or apt-get
// and root, to install it), sets up the testkit's podman service and builds the local images
// once, before the test run's own time limits start. Prints the environment the test run
// needs as JSON on stdout. A machine with Docker gets nothing of the kind.
import { prepareContainerEngine } from '../packages/testkit/src/internal/containers/engine.js'
import { ensureImages } from '../packages/testkit/src/internal/containers/images.js'
import { kafkaVersion } from '../packages/testkit/src/internal/cache.js'
import { kafkaTraits, parseKafkaVersion } from '../packages/testkit/src/internal/versions.js'

const log = (line: string) => process.stderr.write(`${line}\n`)
const engine = await prepareContainerEngine(log, { required: true })
if (!engine) throw new Error('no container engine')
// The default release (KAFKIT_KAFKA_VERSION may name a 4.x, which has no ZooKeeper image).
if (kafkaTraits(parseKafkaVersion(kafkaVersion())).zookeeper) {
  await ensureImages({ engine, mode: 'zookeeper', schemaRegistry: true }, log)
  await ensureImages({ engine, mode: 'kraft', schemaRegistry: false }, log)
} else {
  await ensureImages({ engine, mode: 'kraft', schemaRegistry: true }, log)
}
const keys = ['DOCKER_HOST', 'CONTAINERS_CONF', 'TESTCONTAINERS_RYUK_DISABLED', 'TESTCONTAINERS_HOST_OVERRIDE']
process.stdout.write(`${JSON.stringify(Object.fromEntries(keys.filter((k) => process.env[k]).map((k) => [k, process.env[k]])))}\n`)
