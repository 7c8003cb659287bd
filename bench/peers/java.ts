// The broker's own ceiling on this machine: Kafka's Java perf tools from the jar set the testkit
// caches (`~/.cache/kafkit/kafka-<version>/libs`), run as child processes. They move bytes only
// (no deserializer, no validation), so they bound what any client can do here.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cacheRoot, KAFKA_VERSION } from '@kafkit/testkit'

/** The Java tools, ready to run. */
export interface JavaTools {
  describe: string
  /** `ProducerPerformance`, acks=all + idempotence, unthrottled: records/s. */
  producerPerformance(options: { topic: string; records: number; recordBytes: number }): Promise<number>
  /** `ConsumerPerformance` from the earliest offset, a fresh group: records/s of its fetch time (group join excluded). */
  consumerPerformance(options: { topic: string; records: number }): Promise<number>
  /** `EndToEndLatency`: one record at a time, acks=all, produce to consumed: percentiles in ms. */
  endToEndLatency(options: { topic: string; records: number; recordBytes: number }): Promise<{ p50: number; p99: number; p999: number }>
  cleanup(): Promise<void>
}

/** Finds java and the cached jars; resolves to the tools or to why they cannot run here. */
export async function prepareJava(brokers: string[]): Promise<JavaTools | string> {
  const version = process.env['KAFKIT_KAFKA_VERSION'] || KAFKA_VERSION
  const jars = join(cacheRoot(), `kafka-${version}`, 'libs')
  if (!existsSync(join(jars, '.complete'))) return `not run: no Kafka jars at ${jars} (the testkit's jvm backend resolves them: KAFKIT_BACKEND=jvm)`
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' })
  if (java.status !== 0) return `not run: java not found (${java.error?.message ?? java.stderr})`
  const dir = await mkdtemp(join(tmpdir(), 'kafkit-bench-java-'))
  // Quiet log4j 1 (Kafka 3.x tools) and log4j2 (4.x): warnings to stderr only.
  await writeFile(join(dir, 'log4j.properties'), 'log4j.rootLogger=ERROR, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=%p %c{1} %m%n\n')
  await writeFile(join(dir, 'log4j2.properties'), 'rootLogger.level=error\nrootLogger.appenderRef.stderr.ref=STDERR\nappender.stderr.type=Console\nappender.stderr.name=STDERR\nappender.stderr.target=SYSTEM_ERR\nappender.stderr.layout.type=PatternLayout\nappender.stderr.layout.pattern=%p %c{1} %m%n\n')
  await writeFile(join(dir, 'latency.properties'), 'enable.idempotence=true\n')
  const jvm = ['-Xmx512m', `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`, `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`, '-cp', join(jars, '*')]
  const run = (main: string, args: string[]) => runJava([...jvm, main, ...args])
  const bootstrap = brokers.join(',')
  return {
    describe: `Kafka ${version} tools, ${(java.stderr ?? '').split('\n')[0]?.trim()}`,
    async producerPerformance({ topic, records, recordBytes }) {
      const out = await run('org.apache.kafka.tools.ProducerPerformance', ['--topic', topic, '--num-records', String(records), '--record-size', String(recordBytes), '--throughput', '-1', '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all', 'enable.idempotence=true'])
      // "200000 records sent, 91785.2 records/sec (87.53 MB/sec), …" (the last line, the total)
      const match = /records sent, ([\d.]+) records\/sec/.exec(out.trim().split('\n').pop() ?? '')
      if (match === null) throw new Error(`ProducerPerformance said: ${out.slice(-300)}`)
      return Number(match[1])
    },
    async consumerPerformance({ topic, records }) {
      const group = `bench-java-${process.pid}-${Date.now()}`
      const out = await run('org.apache.kafka.tools.ConsumerPerformance', ['--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(records), '--group', group, '--timeout', '30000', '--hide-header'])
      // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
      const fields = (out.trim().split('\n').pop() ?? '').split(',').map((field) => field.trim())
      const consumed = Number(fields[4])
      const fetchRate = Number(fields[9])
      if (!(consumed >= records) || !Number.isFinite(fetchRate)) throw new Error(`ConsumerPerformance said: ${out.slice(-300)}`)
      return fetchRate
    },
    async endToEndLatency({ topic, records, recordBytes }) {
      const out = await run('org.apache.kafka.tools.EndToEndLatency', [bootstrap, topic, String(records), 'all', String(recordBytes), join(dir, 'latency.properties')])
      // "Percentiles: 50th = 1, 99th = 3, 99.9th = 6"
      const match = /50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)/.exec(out)
      if (match === null) throw new Error(`EndToEndLatency said: ${out.slice(-300)}`)
      return { p50: Number(match[1]), p99: Number(match[2]), p999: Number(match[3]) }
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

/** Runs a JVM to its end (killed by its own pid after `limitMs`) and resolves to its stdout. */
function runJava(args: string[], limitMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4_000)))
    const guard = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(guard)
      if (code === 0) resolve(stdout)
      else reject(new Error(`java ${args.find((arg) => arg.startsWith('org.apache'))} exited ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`))
    })
  })
}
