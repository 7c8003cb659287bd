// Profiles one consume path on the built packages, for bench/README.md's "where the time goes":
//
//   npm run bench:profile                          # kafkit consumer.handle, 120,000 records of 1 KB JSON
//   npm run bench:profile -- --side=kafkajs-batch  # or kafkit-batch, kafkajs-message; --records=N
//
// It starts its own Kafka (or uses KAFKIT_BENCH_BROKERS), fills a 6-partition topic, then
// consumes it once unprofiled (warm-up, a fresh group) and once under the V8 CPU profiler
// (node:inspector, only from the first record to the last), writes the profile to
// bench/results/consume-<side>.cpuprofile (open it in Chrome DevTools) and prints the summary
// of bench/profile/summarize.ts.
import { mkdir, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startKafka, uniqueName } from '@kafkit/testkit'
import { decodeByHand, deferred, eventTopic, fill, kafkajsClient, kafkitClient } from '../workload.js'
import { summarize } from './summarize.js'

const here = dirname(fileURLToPath(import.meta.url))
const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]))
const side = args.get('side') ?? 'kafkit-message'
const records = Number(args.get('records') ?? 120_000)

async function main(): Promise<void> {
  const external = process.env['KAFKIT_BENCH_BROKERS']
  const cluster = external ? { brokers: external.split(','), stop: async () => {} } : await startKafka({ log: (line) => console.error(line) })
  const kafka = kafkitClient(cluster.brokers, 'bench-profile')
  const raw = kafkajsClient(cluster.brokers, 'bench-profile-raw')
  const session = new Session()
  session.connect()
  try {
    const Topic = eventTopic(uniqueName('bench-profile'))
    await kafka.admin().ensureTopics([Topic])
    await fill(kafka, Topic, records)
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })

    const once = async (profile: boolean): Promise<{ rate: number; profile?: unknown }> => {
      let first = 0
      let seen = 0
      const finished = deferred<number>()
      const started = () => {
        if (first !== 0) return
        first = performance.now()
        if (profile) void session.post('Profiler.start')
      }
      let stop: () => Promise<void>
      if (side.startsWith('kafkit')) {
        const consumer = kafka.consumer({ groupId: uniqueName('bench-profile-g'), fromBeginning: true, shutdown: false })
        if (side === 'kafkit-batch') {
          consumer.handleBatch(Topic, (messages) => {
            started()
            if ((seen += messages.length) >= records) finished.resolve(performance.now())
          })
        } else {
          consumer.handle(Topic, () => {
            started()
            if (++seen === records) finished.resolve(performance.now())
          })
        }
        await consumer.start()
        stop = () => consumer.stop()
      } else {
        const consumer = raw.consumer({ groupId: uniqueName('bench-profile-raw-g') })
        await consumer.connect()
        await consumer.subscribe({ topics: [Topic.name], fromBeginning: true })
        if (side === 'kafkajs-message') {
          await consumer.run({
            eachMessage: async ({ message }) => {
              started()
              decodeByHand(message)
              if (++seen === records) finished.resolve(performance.now())
            },
          })
        } else {
          await consumer.run({
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, resolveOffset }) => {
              started()
              for (const message of batch.messages) {
                decodeByHand(message)
                resolveOffset(message.offset)
              }
              if ((seen += batch.messages.length) >= records) finished.resolve(performance.now())
            },
          })
        }
        stop = () => consumer.disconnect()
      }
      const end = await finished.promise
      const result = profile ? ((await session.post('Profiler.stop')) as { profile: unknown }).profile : undefined
      await stop()
      return { rate: records / ((end - first) / 1000), profile: result }
    }

    const warm = await once(false)
    console.error(`bench: warm-up ${side}: ${Math.round(warm.rate)} msg/s`)
    const measured = await once(true)
    const out = join(here, '..', 'results', `consume-${side}.cpuprofile`)
    await mkdir(dirname(out), { recursive: true })
    await writeFile(out, JSON.stringify(measured.profile))
    console.log(`${side}: ${Math.round(measured.rate)} msg/s under the profiler (sampling every 100 µs), ${records} records; profile in ${out}\n`)
    console.log(summarize(measured.profile as Parameters<typeof summarize>[0], records))
  } finally {
    session.disconnect()
    await kafka.close()
    await cluster.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
