// The failover scenario's shared part: what every client sends (the same numbered, keyed
// records in batches, on the same schedule), the in-process driver that paces the sends, and
// the metrics computed from the log of sends. The child-process clients (Java, Node 22)
// pace themselves the same way and write the same log as tab-separated lines.
import { readFile } from 'node:fs/promises'

/** One client run: where to send, how much, how fast and from how many callers. */
export interface Plan {
  /** Client label; it prefixes every record id (`<client>-<n>`). */
  client: string
  topic: string
  brokers: string[]
  records: number
  batchSize: number
  /** The i-th batch is not sent before start + i * spanMs / batches. */
  spanMs: number
  /** Concurrent callers of one producer; caller c sends the batches i with i % callers === c. */
  callers: number
  /** Where a child-process client's stderr goes (its own warnings, debug output), when set. */
  stderrLog?: string
}

/** One record as every client sends it. */
export interface BenchRecord {
  key: string
  value: { id: string; n: number }
}

/** One send (one batch) and how it ended. */
export interface SendRecord {
  batch: number
  caller: number
  /** Milliseconds from the start of sending to this send's call. */
  startMs: number
  latencyMs: number
  ok: boolean
  /** What the client said when the send failed. */
  error?: string
}

/** A send that has not settled after this long is given up on, and its caller stops. */
export const HUNG_MS = 180_000

const KEYS = 500

export const batchCount = (plan: Plan) => Math.ceil(plan.records / plan.batchSize)

/** Records n of batch i: n = i * batchSize … (i + 1) * batchSize - 1. */
export function recordsOf(plan: Plan, batch: number): BenchRecord[] {
  const first = batch * plan.batchSize
  const last = Math.min(plan.records, first + plan.batchSize)
  const out: BenchRecord[] = []
  for (let n = first; n < last; n++) out.push({ key: `k${n % KEYS}`, value: { id: `${plan.client}-${n}`, n } })
  return out
}

/**
 * In one partition, the records of one key from one caller must appear in the order of `n`
 * (each caller awaits a send before the next); across callers no order is promised.
 */
export function orderOf(plan: Plan): (value: Buffer) => { stream: string; seq: number } {
  return (value) => {
    const { n } = JSON.parse(value.toString('utf8')) as { n: number }
    return { stream: `${Math.floor(n / plan.batchSize) % plan.callers}/k${n % KEYS}`, seq: n }
  }
}

export const idOf = (value: Buffer): string => (JSON.parse(value.toString('utf8')) as { id: string }).id

/** Lost ids grouped by the batch that sent them, e.g. `61 (12), 420 (9)`: which sends lied. */
export function byBatch(plan: Plan, ids: string[]): string {
  const counts = new Map<number, number>()
  for (const id of ids) {
    const batch = Math.floor(Number(id.slice(id.lastIndexOf('-') + 1)) / plan.batchSize)
    counts.set(batch, (counts.get(batch) ?? 0) + 1)
  }
  return [...counts].map(([batch, count]) => `${batch} (${count})`).join(', ')
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Sends every batch of `plan` through `send`, paced and from `plan.callers` callers that each
 * await their send before the next, and logs each send. A send that does not settle within
 * {@link HUNG_MS} is logged as failed and stops its caller (nothing else would end the run).
 */
export async function drive(plan: Plan, send: (records: BenchRecord[]) => Promise<unknown>, describe: (error: unknown) => string): Promise<SendRecord[]> {
  const batches = batchCount(plan)
  const intervalMs = plan.spanMs / batches
  const start = performance.now()
  const sends: SendRecord[] = []
  const caller = async (c: number) => {
    for (let batch = c; batch < batches; batch += plan.callers) {
      const wait = start + batch * intervalMs - performance.now()
      if (wait > 0) await sleep(wait)
      const began = performance.now()
      let timer: NodeJS.Timeout | undefined
      const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), HUNG_MS)))
      const outcome = await Promise.race([send(recordsOf(plan, batch)).then(() => 'ok' as const, (error: unknown) => ({ error })), hung])
      clearTimeout(timer)
      const entry: SendRecord = { batch, caller: c, startMs: began - start, latencyMs: performance.now() - began, ok: outcome === 'ok' }
      if (outcome === 'hung') entry.error = `no answer within ${HUNG_MS} ms (batch ${batch}, sent at ${Math.round(entry.startMs)} ms); caller stopped`
      else if (outcome !== 'ok') entry.error = describe(outcome.error)
      sends.push(entry)
      if (outcome === 'hung') return
    }
  }
  await Promise.all(Array.from({ length: plan.callers }, (_, c) => caller(c)))
  return sends
}

/** Parses a child's send log: `batch caller startMs latencyMs ok|fail error` per line. */
export async function readSendLog(file: string): Promise<SendRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [batch, caller, startMs, latencyMs, status, ...error] = line.split('\t')
      const entry: SendRecord = { batch: Number(batch), caller: Number(caller), startMs: Number(startMs), latencyMs: Number(latencyMs), ok: status === 'ok' }
      if (status !== 'ok') entry.error = error.join(' ') || 'failed'
      return entry
    })
}

/** What the sends themselves tell, before the topic is read back. */
export interface SendSummary {
  sends: number
  failedSends: number
  acknowledgedIds: string[]
  /** Longest time one caller waited for one send (resolved or rejected). */
  longestSendMs: number
  /** Longest time between two consecutive acknowledgements (or the start and the first), across callers. */
  longestAckGapMs: number
  /** From the first send to the last answer. */
  sendingMs: number
  /** Distinct failure messages, most frequent first. */
  errors: { message: string; count: number }[]
}

/** Sums up a send log: acknowledged ids come from the resolved sends only. */
export function summarize(plan: Plan, sends: SendRecord[]): SendSummary {
  const acknowledgedIds: string[] = []
  const counts = new Map<string, number>()
  for (const send of sends) {
    if (send.ok) for (const record of recordsOf(plan, send.batch)) acknowledgedIds.push(record.value.id)
    else counts.set(send.error ?? 'failed', (counts.get(send.error ?? 'failed') ?? 0) + 1)
  }
  // From the start of sending, so a first send that hangs counts as a gap too.
  const acks = [0, ...sends.filter((send) => send.ok).map((send) => send.startMs + send.latencyMs)].sort((a, b) => a - b)
  let longestAckGapMs = 0
  for (let i = 1; i < acks.length; i++) longestAckGapMs = Math.max(longestAckGapMs, acks[i]! - acks[i - 1]!)
  return {
    sends: sends.length,
    failedSends: sends.filter((send) => !send.ok).length,
    acknowledgedIds,
    longestSendMs: Math.max(0, ...sends.map((send) => send.latencyMs)),
    longestAckGapMs,
    sendingMs: Math.max(0, ...sends.map((send) => send.startMs + send.latencyMs)),
    errors: [...counts].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count),
  }
}
