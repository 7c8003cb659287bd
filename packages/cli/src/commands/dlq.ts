import { type DeadLetterEntry, type DeadLetterFilter, isKafkitError, Kafkit, type ReplayProgress } from '@kafkit/core'
import { type CliIo, type CommandGroup, ExitCode, UsageError } from '../command.js'
import { parse } from '../internal/args.js'
import { kafkaConfig } from '../internal/connection.js'
import { closeNames, quotedChoice } from '../internal/suggest.js'

const usage = `kafkit dlq list <dlq-topic> [filters] [--timeout <ms>] [--json]
kafkit dlq inspect <dlq-topic> <partition>:<offset> [--timeout <ms>] [--json]
kafkit dlq replay <dlq-topic> [filters] [--to <topic>] [--dry-run] [--rate <n>] [--force] [--all-groups] [--no-progress] [--timeout <ms>] [--json]

Operator tools for a kafkit (or Spring Kafka) dead-letter topic.

  list     every dead letter with its source, attempts and error, printed as it is read
  inspect  one dead letter in full: key, value, headers, error and stack
  replay   send dead letters back to their original topic (or --to), with key, value
           and headers, plus a kafkit-replay-of header. Records go in transactions of
           up to 500, each committed together with its entries in the compacted ledger
           topic <dlq-topic>.replayed: a later replay skips what is there, so running the
           same replay twice sends nothing the second time, and after a failed replay
           (the error names the dead letters of the batch that aborted) the next one sends
           only those and the rest. A replay of the same topic started meanwhile, here or
           elsewhere, fences this one (it stops, exit 1). Readers of the target see the
           replay exactly once with isolation read_committed; the principal needs Write
           and Describe on the transactional id kafkit-replay-<dlq-topic>.

All three read the topic as a stream, so a dead-letter topic of millions of records is
listed and replayed in constant memory. A replay reports its progress on stderr (records
read of the total, replayed, rate, time left): a status line on a terminal, else a line
every 10 s.

Filters:
  --error-code <code>  only this error code (repeatable), e.g. KAFKIT_HANDLER
  --since <time>       failed at or after (ISO date-time or epoch ms)
  --until <time>       failed before
  --partition <n>      only this DLQ partition

Replay:
  --to <topic>         target topic instead of each record's original topic
  --dry-run            print what would be replayed, write nothing
  --rate <n>           at most n records per second (default: no limit)
  --force              also replay records an earlier replay already sent
  --all-groups         let every consumer group of the target handle the replay (default:
                       only the group that failed it; kafkit consumers of other groups skip it)
  --no-progress        no progress reports on stderr

All three:
  --timeout <ms>       fail when looking up or reading the dead-letter topic (or its ledger)
                       gets no further for this long, or a replayed record is not
                       acknowledged within it
                       (default 120000: a broker unreachable, a topic deleted)

Connection: --brokers host:port[,host:port] or $KAFKA_BROKERS; TLS, SASL, timeouts and retries
from the environment, as every kafkit client reads it ($KAFKA_SSL*, $KAFKA_SASL_MECHANISM,
$KAFKA_SASL_USERNAME, $KAFKA_SASL_PASSWORD, $KAFKA_*_TIMEOUT_MS, $KAFKA_RETRIES…).

A dead-letter topic the cluster does not have (a misspelt name, the wrong cluster) is an
error, not an empty list: "topic 'orders.dlqq' does not exist on the cluster; did you mean
'orders.dlq'?" on stderr, exit 2, before anything is read or written.

Exit codes: 0 done, 1 inspect found no dead letter at that position, or a replay fenced
by another replay of the same topic, 2 usage error or a
dead-letter topic that does not exist, 3 the cluster failed or could not be reached.`

const shared = {
  brokers: { type: 'string' },
  'error-code': { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
  partition: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const

/** `--timeout <ms>` as read options: a positive number of milliseconds. */
function readOptions(text: string | undefined): { timeoutMs?: number } {
  if (text === undefined) return {}
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, got "${text}"`)
  return { timeoutMs: Number(text) }
}

function time(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text)
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} must be an ISO date-time or epoch ms, got "${text}"`)
  return ms
}

function filterOf(values: { 'error-code'?: string[]; since?: string; until?: string; partition?: string }): DeadLetterFilter {
  const filter: DeadLetterFilter = {}
  if (values['error-code']?.length) filter.errorCodes = values['error-code']
  const since = time(values.since, '--since')
  const until = time(values.until, '--until')
  if (since !== undefined) filter.since = since
  if (until !== undefined) filter.until = until
  if (values.partition !== undefined) {
    if (!/^\d+$/.test(values.partition)) throw new UsageError(`--partition must be a number, got "${values.partition}"`)
    filter.partition = Number(values.partition)
  }
  return filter
}

function client(brokersFlag: string | undefined, io: CliIo): Kafkit {
  return new Kafkit(kafkaConfig(brokersFlag, io.env))
}

/**
 * Whether the cluster has `topic`; when not, says so on stderr with the close names it does
 * have. The library reads a missing dead-letter topic as an empty one (one that never got a
 * record may not exist yet), so without this a misspelt name would list as "no dead letters".
 */
async function topicExists(kafka: Kafkit, topic: string, sub: string, io: CliIo, read: { timeoutMs?: number }): Promise<boolean> {
  const topics = await kafka.admin().listTopics(read.timeoutMs === undefined ? {} : { timeoutMs: read.timeoutMs })
  if (topics.includes(topic)) return true
  const close = closeNames(topic, topics, { preferDeadLetters: true })
  const hint = close.length > 0 ? `; did you mean ${quotedChoice(close)}?` : ' (nor one of a close name: is it the right cluster?)'
  io.err(`kafkit dlq ${sub}: topic '${topic}' does not exist on the cluster${hint}`)
  return false
}

/** Text when the bytes are printable UTF-8, else `base64:…`. */
function show(bytes: Buffer | null): string {
  if (bytes === null) return '(null)'
  const text = bytes.toString('utf8')
  return Buffer.from(text, 'utf8').equals(bytes) && !/[\u0000-\u0008\u000e-\u001f]/.test(text) ? text : `base64:${bytes.toString('base64')}`
}

function toJson(entry: DeadLetterEntry) {
  const headers = Object.fromEntries(Object.entries(entry.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => show(Buffer.from(x))) : v === undefined ? null : show(Buffer.from(v))]))
  return { partition: entry.partition, offset: entry.offset, timestamp: new Date(entry.timestamp).toISOString(), key: show(entry.key), value: show(entry.value), headers, replayed: entry.replayed, ...entry.info }
}

function duration(ms: number): string {
  const s = Math.round(ms / 1_000)
  if (s < 60) return `${s}s`
  if (s < 3_600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3_600)}h${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')}m`
}

/** `replay: 120000/1000000 read (12%), 118000 replayed, 2000 skipped, 5210/s, ~2m49s left` */
export function progressLine(p: ReplayProgress): string {
  const percent = p.total > 0 ? Math.floor((p.done * 100) / p.total) : 100
  const eta = p.etaMs === undefined ? '' : `, ~${duration(p.etaMs)} left`
  return `replay: ${p.done}/${p.total} read (${percent}%), ${p.replayed} replayed, ${p.skipped} skipped, ${Math.round(p.ratePerSecond)}/s${eta}`
}

function line(e: DeadLetterEntry): string {
  const i = e.info
  const source = i.originalTopic ? `${i.originalTopic}[${i.originalPartition}]@${i.originalOffset}` : '?'
  const at = new Date(i.failedAt ?? e.timestamp).toISOString()
  return `${e.partition}:${e.offset}  ${at}  ${source}  key=${show(e.key)}  attempts=${i.attempts ?? '?'}  ${i.errorCode ?? '?'}: ${i.errorMessage ?? ''}${e.replayed ? '  [replayed]' : ''}`
}

async function run(sub: string | undefined, args: string[], io: CliIo): Promise<number> {
  if (sub === 'list') {
    const { values, positionals } = parse(args, shared)
    if (positionals.length !== 1) throw new UsageError('give exactly one dead-letter topic')
    const filter = filterOf(values)
    const read = readOptions(values.timeout)
    const kafka = client(values.brokers, io)
    try {
      if (!(await topicExists(kafka, positionals[0] as string, sub, io, read))) return ExitCode.usage
      let count = 0
      for await (const e of kafka.deadLetters(positionals[0] as string).stream(filter, read)) {
        count++
        io.out(values.json ? JSON.stringify(toJson(e)) : line(e))
      }
      if (!values.json) io.err(`${count} dead letter(s)`)
      return ExitCode.ok
    } finally {
      await kafka.close()
    }
  }
  if (sub === 'inspect') {
    const { values, positionals } = parse(args, { brokers: shared.brokers, timeout: shared.timeout, json: shared.json })
    const match = /^(\d+):(\d+)$/.exec(positionals[1] ?? '')
    if (positionals.length !== 2 || !match) throw new UsageError('give a dead-letter topic and <partition>:<offset>')
    const read = readOptions(values.timeout)
    const kafka = client(values.brokers, io)
    try {
      if (!(await topicExists(kafka, positionals[0] as string, sub, io, read))) return ExitCode.usage
      const entry = await kafka.deadLetters(positionals[0] as string).inspect(Number(match[1]), match[2] as string, read)
      if (!entry) {
        io.err(`no dead letter at ${positionals[1]} in ${positionals[0]}`)
        return ExitCode.failed
      }
      const json = toJson(entry)
      if (values.json) io.out(JSON.stringify(json))
      else {
        const { errorStack, ...rest } = json
        for (const [k, v] of Object.entries(rest)) io.out(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        if (errorStack) io.out(`errorStack:\n${errorStack}`)
      }
      return ExitCode.ok
    } finally {
      await kafka.close()
    }
  }
  if (sub === 'replay') {
    const { values, positionals } = parse(args, {
      ...shared,
      to: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      rate: { type: 'string' },
      force: { type: 'boolean', default: false },
      'all-groups': { type: 'boolean', default: false },
      'no-progress': { type: 'boolean', default: false },
    })
    if (positionals.length !== 1) throw new UsageError('give exactly one dead-letter topic')
    const rate = values.rate === undefined ? 0 : Number(values.rate)
    if (!(rate >= 0)) throw new UsageError(`--rate must be a non-negative number, got "${values.rate}"`)
    const filter = filterOf(values)
    const read = readOptions(values.timeout)
    const kafka = client(values.brokers, io)
    try {
      // The replay refuses a missing topic too (KAFKIT_CONFIG, exit 2); asked first, the answer names the close ones.
      if (!(await topicExists(kafka, positionals[0] as string, sub, io, read))) return ExitCode.usage
      const dlq = kafka.deadLetters(positionals[0] as string)
      const dryRun = values['dry-run']
      // Each replayed record is printed once acknowledged; nothing is collected, so memory stays flat.
      let first = true
      let statusShown = false
      if (values.json) io.out(`{"dryRun":${dryRun},"replayed":[`)
      dlq.on('replay.record', (r) => {
        // A terminal's status line is cleared before output lands on it, and redrawn at the next report.
        if (statusShown) {
          io.status?.('')
          statusShown = false
        }
        if (values.json) {
          io.out(`${first ? '' : ','}${JSON.stringify({ partition: r.partition, offset: r.offset, target: r.target })}`)
          first = false
        } else io.out(`${dryRun ? 'would replay' : 'replayed'} ${r.partition}:${r.offset} -> ${r.target}`)
      })
      const terminal = io.status !== undefined
      const replaying = dlq.replay({
        ...filter,
        ...(values.to ? { to: values.to } : {}),
        dryRun,
        ratePerSecond: rate,
        force: values.force,
        audience: values['all-groups'] ? 'all-groups' : 'original-group',
        collect: false,
        ...read,
        ...(values['no-progress']
          ? {}
          : {
              progressIntervalMs: terminal ? 1_000 : 10_000,
              onProgress: (p: ReplayProgress) => {
                if (p.finished) {
                  if (statusShown) io.status?.('')
                } else if (terminal) {
                  io.status?.(progressLine(p))
                  statusShown = true
                } else io.err(progressLine(p))
              },
            }),
      })
      let report: Awaited<typeof replaying>
      try {
        report = await replaying
      } catch (error) {
        // The error line lands on a cleared terminal line.
        if (statusShown) io.status?.('')
        // The document stays valid JSON: what was replayed before the failure, and the failure
        // with the dead letters it left out (the next replay sends them again).
        if (values.json) {
          const failed = isKafkitError(error) && Array.isArray(error.context.failed) ? `,"errorCode":${JSON.stringify(error.code)},"failed":${JSON.stringify(error.context.failed)}` : ''
          io.out(`],"error":${JSON.stringify(error instanceof Error ? error.message : String(error))}${failed}}`)
        }
        throw error
      }
      const s = report.skipped
      if (values.json) io.out(`],"replayedCount":${report.replayedCount},"scanned":${report.scanned},"skipped":${JSON.stringify(s)}}`)
      else io.err(`${report.replayedCount} ${report.dryRun ? 'to replay (dry run)' : 'replayed'}; skipped ${s.alreadyReplayed} already replayed, ${s.filtered} filtered out, ${s.noTarget} without a source topic`)
      return ExitCode.ok
    } finally {
      await kafka.close()
    }
  }
  throw new UsageError(sub ? `unknown subcommand "dlq ${sub}"` : 'missing subcommand')
}

/** `kafkit dlq …`: list, inspect and replay dead letters. */
export const dlqCommand: CommandGroup = {
  name: 'dlq',
  summary: 'dead-letter topics: list, inspect, replay (once) to the source topic',
  usage,
  async run(args, io) {
    const [sub, ...rest] = args
    return run(sub, rest, io)
  },
}
