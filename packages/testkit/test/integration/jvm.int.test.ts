// Contract: the JVM backend runs a real Kafka (ZooKeeper or KRaft, 1 or 3 brokers) and a
// Confluent-compatible registry as child processes, and stop() leaves no process behind.
import { readdirSync } from 'node:fs'
import { Kafka, logLevel } from 'kafkajs'
import { afterEach, describe, expect, it } from 'vitest'
import { isAlive } from '../../src/internal/processes.js'
import { type KafkaCluster, TestkitError, startKafka } from '@kafkit/testkit'
import { clusterPids, crashAndRejoin, produceAndConsume, registerAndFetchSchema } from './rig-checks.js'

const started: KafkaCluster[] = []
async function start(options: Parameters<typeof startKafka>[0]): Promise<KafkaCluster> {
  const cluster = await startKafka({ backend: 'jvm', log: () => undefined, ...options })
  started.push(cluster)
  return cluster
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()))
})

describe('jvm backend', () => {
  it('runs ZooKeeper + a broker that plain kafkajs produces to and consumes from, and stop() leaves nothing', async () => {
    const cluster = await start({ mode: 'zookeeper' })
    expect(cluster.backend).toBe('jvm')
    expect(cluster.zookeeper).toMatch(/^127\.0\.0\.1:\d+$/)
    const pids = clusterPids(cluster)
    expect(pids.length).toBe(2)

    const values = await produceAndConsume(cluster.brokers, 5)
    expect(values).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])

    await cluster.stop()
    expect(pids.filter(isAlive)).toEqual([])
    expect(() => readdirSync(cluster.logDir)).toThrow()
  })

  it('starts in KRaft mode without ZooKeeper', async () => {
    const cluster = await start({ mode: 'kraft' })
    expect(cluster.zookeeper).toBeUndefined()
    expect(clusterPids(cluster).length).toBe(1)
    expect(await produceAndConsume(cluster.brokers, 3)).toEqual(['m0', 'm1', 'm2'])
  })

  it('keeps a replication-factor-3 topic writable with one of three brokers down, and the broker rejoins', async () => {
    const cluster = await start({ brokers: 3 })
    const seen = await crashAndRejoin(cluster)
    expect(seen.writtenWhileDown).toBe(30)
    expect(seen.brokersAfterRestart).toEqual([0, 1, 2])
    // The restarted broker is advertised on the same address and serves clients again.
    expect(seen.restartedPort).toBe(Number(cluster.brokers[1]?.split(':')[1]))
    expect(seen.readViaRestarted).toBe(31)
  })

  it('serves a Confluent-compatible schema registry that stores and returns a schema', async () => {
    const cluster = await start({ schemaRegistry: true })
    const { id, registered, returned } = await registerAndFetchSchema(cluster.schemaRegistryUrl as string, 'Rig')
    expect(id).toBeGreaterThan(0)
    expect(returned).toEqual(registered)
    const pids = clusterPids(cluster)
    expect(pids.length).toBe(3)
    await cluster.stop()
    expect(pids.filter(isAlive)).toEqual([])
  })

  it('adds a SASL_SSL listener with a per-run CA and SCRAM users created before start', async () => {
    const cluster = await start({ mode: 'zookeeper', saslSsl: { users: [{ username: 'alice', password: 'alice-secret' }] } })
    const secure = cluster.saslSsl
    expect(secure?.caPem).toMatch(/^-----BEGIN CERTIFICATE-----/)
    const connect = async (sasl: { mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain'; username: string; password: string }) => {
      const admin = new Kafka({ brokers: secure?.brokers ?? [], ssl: { ca: [secure?.caPem ?? ''] }, sasl: sasl as never, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin()
      await admin.connect()
      const { brokers } = await admin.describeCluster()
      await admin.disconnect()
      return brokers.length
    }
    for (const mechanism of ['scram-sha-512', 'scram-sha-256', 'plain'] as const) {
      expect(await connect({ mechanism, username: 'alice', password: 'alice-secret' })).toBe(1)
    }
    await expect(connect({ mechanism: 'scram-sha-512', username: 'alice', password: 'wrong' })).rejects.toThrow(/authentication failed/i)
  })

  it('gives up on a cluster that is not ready in time, naming it, and leaves nothing behind', async () => {
    const error = await startKafka({ backend: 'jvm', log: () => undefined, startTimeoutMs: 300 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TESTKIT_NOT_READY' })
    expect((error as Error).message).toMatch(/was not ready within 300 ms/)
    const dir = /last lines of (\S+)\/logs\//.exec((error as Error).message)?.[1]
    expect(dir).toBeDefined()
    expect(ownedBy(dir as string)).toEqual([])
  })

  it('fails with the broker log tail when the broker cannot start, and leaves nothing behind', async () => {
    const error = await startKafka({ backend: 'jvm', log: () => undefined, brokerConfig: { 'num.network.threads': 'not-a-number' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TestkitError)
    expect((error as TestkitError).code).toBe('TESTKIT_PROCESS_EXITED')
    expect((error as TestkitError).message).toMatch(/broker 0 exited[\s\S]*num\.network\.threads/)
    const dir = /last lines of (\S+)\/logs\//.exec((error as Error).message)?.[1]
    expect(dir).toBeDefined()
    expect(ownedBy(dir as string)).toEqual([])
  })
})


function ownedBy(root: string): number[] {
  return clusterPids({ logDir: `${root}/logs` } as KafkaCluster)
}
