// The four clients of bench/failover.ts. kafkit and raw kafkajs run in this process through
// the shared driver; the Java client and @platformatic/kafka (which needs a newer Node than
// the repo's) run as child processes that pace themselves alike and write the same send log.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createWriteStream, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineTopic, isKafkitError, json, Kafkit, string } from '@kafkit/core'
import { cacheRoot, KAFKA_VERSION } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { z } from 'zod'
import { installPlatformatic, type PlatformaticInstall } from '../peers/platformatic.js'
import { drive, HUNG_MS, type Plan, readSendLog, type SendRecord } from './plan.js'

const here = dirname(fileURLToPath(import.meta.url))

/** What one client run leaves: its send log and anything worth saying about it. */
export interface ClientRun {
  sends: SendRecord[]
  notes: string[]
}

/** One client under test. */
export interface FailoverClient {
  name: string
  /** Version and runtime, for the report; known after {@link FailoverClient.prepare}. */
  describe(): string
  /** One-time set-up; resolves to the reason when the client cannot run here. */
  prepare(log: (line: string) => void): Promise<string | undefined>
  /** Sends `plan`, calling `started` once connected, right before the first send. */
  run(plan: Plan, started: () => void): Promise<ClientRun>
  cleanup?(): Promise<void>
}

const Value = z.object({ id: z.string(), n: z.number() })

/** An error as one line, with its cause; KafkitErrors with code, verdict and context. */
export function describeError(error: unknown): string {
  if (isKafkitError(error)) {
    const cause = error.cause instanceof Error ? ` cause=${error.cause.name}: ${error.cause.message}` : ''
    return `${error.code}${error.retriable ? ' (retriable)' : ''}: ${error.message} context=${JSON.stringify(error.context)}${cause}`.slice(0, 1_000)
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` cause=${error.cause.name}: ${error.cause.message}` : ''
    const retriable = (error as { retriable?: boolean }).retriable
    return `${error.name}${retriable === undefined ? '' : retriable ? ' (retriable)' : ' (not retriable)'}: ${error.message}${cause}`.slice(0, 1_000)
  }
  return String(error)
}

/** kafkit's producer with its defaults: idempotent, acks all, deliveryTimeoutMs 120 s. */
export const kafkitClient: FailoverClient = {
  name: 'kafkit',
  describe: () => `@kafkit/core (sources), Node ${process.version}`,
  prepare: async () => undefined,
  async run(plan, started) {
    const Contract = defineTopic({ name: plan.topic, key: string(), value: json(Value) })
    const kafka = new Kafkit({ clientId: 'bench-failover-kafkit', brokers: plan.brokers, logLevel: 'nothing' })
    try {
      const producer = kafka.producer()
      await producer.connect()
      started()
      return { sends: await drive(plan, (records) => producer.send(Contract, records), describeError), notes: [] }
    } finally {
      await kafka.close()
    }
  },
}

const kafkajsVersion = (): string => (createRequire(import.meta.url)('kafkajs/package.json') as { version: string }).version

/**
 * Raw kafkajs, idempotent with one request in flight and no `retry` option: through
 * `Kafka#producer` that means the cluster's retry defaults (5 retries, 30 s maxRetryTime),
 * not the unbounded retries kafkajs' own producer factory would pick for idempotence.
 */
export const kafkajsClient: FailoverClient = {
  name: 'kafkajs',
  describe: () => `kafkajs ${kafkajsVersion()}, Node ${process.version}`,
  prepare: async () => undefined,
  async run(plan, started) {
    const kafka = new kafkajs.Kafka({ clientId: 'bench-failover-kafkajs', brokers: plan.brokers, logLevel: kafkajs.logLevel.NOTHING })
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner })
    await producer.connect()
    try {
      started()
      const send = (records: { key: string; value: unknown }[]) =>
        producer.send({ topic: plan.topic, acks: -1, messages: records.map((record) => ({ key: record.key, value: JSON.stringify(record.value) })) })
      return { sends: await drive(plan, send, describeError), notes: [] }
    } finally {
      await producer.disconnect()
    }
  },
}

/**
 * Runs a child that paces itself (argument protocol of FailoverProducer.java and
 * platformatic-producer.mjs), calls `started` at its "ready" line, and reads its send log. It
 * is killed, by its own pid, only when it outlives the plan by more than a hung send would.
 */
async function runChild(command: string, args: string[], plan: Plan, started: () => void): Promise<ClientRun> {
  const dir = await mkdtemp(join(tmpdir(), 'kafkit-failover-'))
  const logFile = join(dir, 'sends.tsv')
  const planArgs = [plan.brokers.join(','), plan.topic, plan.client, plan.records, plan.batchSize, plan.spanMs, plan.callers, logFile].map(String)
  const notes: string[] = []
  const stderr: string[] = []
  try {
    const child: ChildProcess = spawn(command, [...args, ...planArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
    let pending = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        if (line.trim() === 'ready') started()
        else if (line.startsWith('{')) notes.push(`child result: ${line.trim()}`)
      }
    })
    const stderrLog = plan.stderrLog === undefined ? undefined : createWriteStream(plan.stderrLog)
    child.stderr!.on('data', (chunk: Buffer) => {
      stderrLog?.write(chunk)
      stderr.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''))
      if (stderr.length > 40) stderr.splice(0, stderr.length - 40)
    })
    const limitMs = plan.spanMs + HUNG_MS + 120_000
    const guard = setTimeout(() => {
      notes.push(`killed after ${limitMs} ms (pid ${child.pid})`)
      child.kill('SIGKILL')
    }, limitMs)
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject)
      child.on('exit', (code, signal) => resolve({ code, signal }))
    }).finally(() => {
      clearTimeout(guard)
      stderrLog?.end()
    })
    if (exit.code !== 0) notes.push(`exit ${exit.code ?? exit.signal}; stderr tail: ${stderr.slice(-8).join(' | ')}`)
    return { sends: await readSendLog(logFile), notes }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The Java client, compiled at run time into a temp dir against the testkit's cached Kafka jars. */
export function javaClient(): FailoverClient {
  let classes: string | undefined
  let jars = ''
  let version = 'unknown'
  return {
    name: 'java',
    describe: () => `kafka-clients ${process.env['KAFKIT_KAFKA_VERSION'] || KAFKA_VERSION}, ${version}`,
    async prepare(log) {
      // The jar set startKafka({ backend: 'jvm' }) resolved: kafka-clients and its dependencies are in it.
      jars = join(cacheRoot(), `kafka-${process.env['KAFKIT_KAFKA_VERSION'] || KAFKA_VERSION}`, 'libs')
      if (!existsSync(join(jars, '.complete'))) return `not run: no Kafka jars at ${jars} (start the cluster with the jvm backend first)`
      version = (spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr ?? '').split('\n')[0]?.trim() || 'java not found'
      classes = await mkdtemp(join(tmpdir(), 'kafkit-failover-java-'))
      log(`bench: javac FailoverProducer.java into ${classes}`)
      const compiled = spawnSync('javac', ['-d', classes, '-cp', join(jars, '*'), join(here, 'FailoverProducer.java')], { encoding: 'utf8' })
      if (compiled.status !== 0) return `not run: javac failed: ${(compiled.error?.message ?? compiled.stderr).trim().slice(0, 500)}`
      // The client's own warnings (retries, epoch bumps) to stderr, which runChild keeps a tail of.
      const log4j = ['log4j.rootLogger=WARN, stderr', 'log4j.appender.stderr=org.apache.log4j.ConsoleAppender', 'log4j.appender.stderr.Target=System.err', 'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout', 'log4j.appender.stderr.layout.ConversionPattern=%p %c{1} %m%n']
      await writeFile(join(classes, 'log4j.properties'), `${log4j.join('\n')}\n`)
      return undefined
    },
    run(plan, started) {
      const cp = `${classes!}${process.platform === 'win32' ? ';' : ':'}${join(jars, '*')}`
      return runChild('java', ['-Xmx256m', `-Dlog4j.configuration=file:${join(classes!, 'log4j.properties')}`, '-cp', cp, 'FailoverProducer'], plan, started)
    },
    async cleanup() {
      if (classes !== undefined) await rm(classes, { recursive: true, force: true })
    },
  }
}

/**
 * @platformatic/kafka (latest) in a Node child new enough for its `engines`, installed outside
 * the repo (see bench/peers/platformatic.ts), so the repo's package.json and lockfile stay as they are.
 */
export function platformaticClient(): FailoverClient {
  let install: PlatformaticInstall | undefined
  return {
    name: 'platformatic',
    describe: () => (install === undefined ? '@platformatic/kafka (not installed)' : `@platformatic/kafka ${install.version}, Node ${install.nodeVersion}`),
    async prepare(log) {
      const prepared = await installPlatformatic(log, ['failover/platformatic-producer.mjs'])
      if (typeof prepared === 'string') return prepared
      install = prepared
      return undefined
    },
    run(plan, started) {
      return runChild(install!.node, [join(install!.dir, 'platformatic-producer.mjs')], plan, started)
    },
  }
}
