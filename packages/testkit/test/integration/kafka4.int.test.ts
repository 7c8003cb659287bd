// Contract: the JVM backend runs Kafka 4.x (KRaft only, log4j2, Java 17) with 1 and 3 brokers:
// plain kafkajs produces and consumes, a replication-factor-3 topic stays writable with a
// broker crashed and the broker rejoins on its address, and stop() leaves no process behind.
// KAFKIT_KAFKA4_VERSION picks the 4.x release (default 4.1.2, as in the `kafka4` project).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isAlive } from '../../src/internal/processes.js'
import { type KafkaCluster, startKafka } from '@kafkit/testkit'
import { clusterPids, crashAndRejoin, produceAndConsume } from './rig-checks.js'

const kafkaVersion = process.env['KAFKIT_KAFKA4_VERSION'] || '4.1.2'
const started: KafkaCluster[] = []
async function start(options: Parameters<typeof startKafka>[0]): Promise<KafkaCluster> {
  const cluster = await startKafka({ backend: 'jvm', kafkaVersion, log: () => undefined, ...options })
  started.push(cluster)
  return cluster
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()))
})

describe(`Kafka ${kafkaVersion} on the jvm backend`, () => {
  it('defaults to KRaft, serves kafkajs, logs through log4j2, and stop() leaves nothing', async () => {
    const cluster = await start({})
    expect(cluster).toMatchObject({ backend: 'jvm', mode: 'kraft', kafkaVersion, zookeeper: undefined })
    const pids = clusterPids(cluster)
    expect(pids).toHaveLength(1)
    expect(await produceAndConsume(cluster.brokers, 3)).toEqual(['m0', 'm1', 'm2'])
    // The broker's own banner, through the log4j2 config the testkit wrote.
    const brokerLog = readFileSync(join(cluster.logDir, 'broker-0.log'), 'utf8')
    expect(brokerLog).toMatch(new RegExp(`\\] INFO Kafka version: ${kafkaVersion.replace(/\./g, '\\.')} \\(`))
    expect(brokerLog).not.toMatch(/No Log4j 2 configuration file found|SLF4J: (Failed to load|No SLF4J providers)/)
    await cluster.stop()
    expect(pids.filter(isAlive)).toEqual([])
  })

  it('keeps a replication-factor-3 topic writable with one of three brokers down, and the broker rejoins', async () => {
    const cluster = await start({ brokers: 3, mode: 'kraft' })
    const seen = await crashAndRejoin(cluster)
    expect(seen.writtenWhileDown).toBe(30)
    expect(seen.brokersAfterRestart).toEqual([0, 1, 2])
    expect(seen.restartedPort).toBe(Number(cluster.brokers[1]?.split(':')[1]))
    expect(seen.readViaRestarted).toBe(31)
  })
})

