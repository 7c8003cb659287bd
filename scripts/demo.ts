// `npm run demo`: the seeds' producer → consumer-group example through kafkit's typed
// contract, then the user-activity tracker (producer, analytics, notifications with retry
// and a dead-letter topic). Uses the stack from `npm run kafka:up` when one is up, else
// starts a real Kafka + ZooKeeper for the run and stops it at the end.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { Kafkit, defineTopic, json, string } from '@kafkit/core'
import { type KafkaCluster, startKafka, uniqueName } from '@kafkit/testkit'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const say = (line = '') => process.stdout.write(`${line}\n`)

/** The seeds' `my-topic`, as a contract: the key is a string, the value a validated JSON object. */
const Greetings = defineTopic({
  name: 'my-topic',
  key: string(),
  value: json(z.object({ message: z.string(), sentAt: z.coerce.date(), sequence: z.number().int() })),
  partitions: 3,
  replicationFactor: 1,
})

async function clusterToUse(): Promise<{ brokers: string[]; schemaRegistryUrl?: string; stop: () => Promise<void> }> {
  const stateFile = join(root, '.kafkit', 'cluster.json')
  if (existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { bootstrapServers: string; schemaRegistryUrl?: string }
    say(`Using the stack from 'npm run kafka:up' at ${state.bootstrapServers}`)
    return { brokers: state.bootstrapServers.split(','), schemaRegistryUrl: state.schemaRegistryUrl, stop: async () => undefined }
  }
  say('Starting a local Kafka + ZooKeeper for this demo (npm run kafka:up keeps one running instead)…')
  const cluster: KafkaCluster = await startKafka({ schemaRegistry: true })
  return { brokers: cluster.brokers, schemaRegistryUrl: cluster.schemaRegistryUrl, stop: () => cluster.stop() }
}

async function seedsExample(brokers: string[]): Promise<void> {
  say('\n== 1. Producer → consumer group (the seeds\' example, typed)')
  // The demo prints its own story; a service would keep the default (pino at info).
  const kafka = new Kafkit({ clientId: 'kafkit-demo', brokers, logLevel: 'warn' })
  try {
    const report = await kafka.admin().ensureTopics([Greetings])
    say(`topic ${Greetings.name}: ${report.created.includes(Greetings.name) ? 'created' : 'already there'} (${Greetings.partitions} partitions)`)

    // Two consumers in one group share the three partitions between them.
    const groupId = uniqueName('my-group')
    const received: string[] = []
    const consumers = ['consumer-a', 'consumer-b'].map((name) =>
      kafka.consumer({ groupId, fromBeginning: true, shutdown: false }).handle(Greetings, async ({ key, value, partition, offset }) => {
        received.push(`${name} ← partition ${partition} offset ${offset} key=${key} "${value.message}" #${value.sequence} (sent ${value.sentAt.toISOString()})`)
      }),
    )
    await Promise.all(consumers.map((c) => c.start()))

    const producer = kafka.producer()
    const users = ['alice', 'bob', 'carol']
    for (let sequence = 0; sequence < 6; sequence++) {
      const key = users[sequence % users.length] as string
      await producer.send(Greetings, { key, value: { message: `Hello, Kafka! from ${key}`, sentAt: new Date(), sequence } })
    }
    say('sent 6 messages (idempotent producer, acks=all; the key picks the partition)')

    // A value the contract forbids is refused before anything is sent.
    try {
      await producer.send(Greetings, { key: 'mallory', value: { message: 42 as unknown as string, sentAt: new Date(), sequence: 6 } })
    } catch (error) {
      say(`refused an invalid message: ${(error as Error).message}`)
    }

    const deadline = Date.now() + 60_000
    while (received.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    received.sort().forEach((line) => say(`  ${line}`))
    if (received.length < 6) throw new Error(`only ${received.length} of 6 messages were consumed within 60 s`)
    await Promise.all(consumers.map((c) => c.stop()))
  } finally {
    await kafka.close()
  }
}

async function userActivityExample(brokers: string[], schemaRegistryUrl: string | undefined): Promise<void> {
  const demoFile = join(root, 'examples', 'user-activity', 'src', 'demo.ts')
  if (!existsSync(demoFile)) return
  say('\n== 2. User activity tracker: activity producer, analytics and notification services')
  const { runDemo } = (await import(demoFile)) as { runDemo: (options: { brokers: string[]; schemaRegistryUrl?: string; log: (line: string) => void }) => Promise<void> }
  await runDemo({ brokers, schemaRegistryUrl, log: say })
}

const cluster = await clusterToUse()
try {
  await seedsExample(cluster.brokers)
  await userActivityExample(cluster.brokers, cluster.schemaRegistryUrl)
  say('\nDemo finished.')
} finally {
  await cluster.stop()
}
