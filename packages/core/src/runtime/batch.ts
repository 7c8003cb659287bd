import { KafkitError, isKafkitError } from '../errors.js'
import { buildDeadLetterRecord, buildRetryRecord, withoutExtras } from './dead-letter.js'
import type { ConsumerDeps } from './engine.js'
import { backoffDelayMs } from './backoff.js'
import { describeError, isPoisonCode, type ErrorInfo } from './error-info.js'
import type { EventHub } from './events.js'
import { KafkitHeaders } from './headers.js'
import { HeartbeatKeeper, sleep, yieldToEventLoop } from './heartbeat.js'
import type { AnyTopicContract } from '../contract.js'
import { decodeMessage, type BatchHandler, type HandlerContext, type Message, type MessageHandler } from './message.js'
import type { ResolvedPolicy } from './options.js'
import type { DecidingPolicy, FailureDecision } from './policy.js'
import { headerText, rawRecord, type BatchRecord, type OutgoingRecord, type RawRecord } from './records.js'

/** How records of one subscribed topic are handled. */
export interface Route {
  contract: AnyTopicContract
  /** -1 for the contract's topic, `i` for its retry topic `i`. */
  tier: number
  handler: { kind: 'message'; fn: MessageHandler<AnyTopicContract> } | { kind: 'batch'; fn: BatchHandler<AnyTopicContract>; maxMessages: number }
  policy: DecidingPolicy
  settings: ResolvedPolicy
}

/**
 * The records of one partition the runtime works through, and what it may do with them.
 * A consumer hands in its engine's batch as it is; a pipeline, the inputs of one transaction.
 */
export interface WorkBatch {
  readonly topic: string
  readonly partition: number
  /** In offset order; the engine's records as it made them (see {@link BatchRecord}). */
  readonly records: readonly BatchRecord[]
  /** Marks `offset` done: handled, or parked where the failure sink acknowledged it. */
  resolveOffset(offset: string): void
  /** Keeps group membership alive; rejects when the group changed. */
  heartbeat(): Promise<void>
  /** False once the owner is stopping. */
  isRunning(): boolean
  /** True when the partition was sought or revoked and these records no longer apply. */
  isStale(): boolean
  /** Once per turn (50 ms of work) and at the batch's end, after its offsets were resolved: commits when the owner's interval says so. Absent when offsets travel elsewhere (a transaction). */
  commitIfNecessary?(): Promise<void>
  /** Stops fetching the partition (retry tiers wait this way); returns `resume`. Only a consumer with retry topics needs it. */
  pause?(): () => void
}

/**
 * Where failed records are parked (a retry-topic or dead-letter copy): through a producer
 * (a consumer; resolves once the broker acknowledged) or into the open transaction (a pipeline).
 */
export interface FailureSink {
  send(records: OutgoingRecord[]): Promise<void>
}

/** What the batch runtime shares with its owner, a consumer or a pipeline. */
export interface RuntimeContext {
  groupId: string
  events: EventHub
  sink: FailureSink
  heartbeatIntervalMs: number
  /** Every unit of work in flight, aborted on shutdown past its timeout. */
  inFlight: Set<AbortController>
  isStopping(): boolean
  /** Resumes a paused retry partition at `dueAt`: owners with retry topics (routes of tier ≥ 0) only. */
  resumeAt?(topic: string, partition: number, dueAt: number, resume: () => void): void
  now(): number
  /** Wraps each handler call (instrumentation: tracing span, duration). */
  aroundHandler?: ConsumerDeps['aroundHandler']
  /** Times message-handler calls from the runtime's own clock reads, when it says so (see {@link ConsumerDeps.handlerTiming}). */
  handlerTiming?: ConsumerDeps['handlerTiming']
  /**
   * Stops the consumer for good with `error`: a record can be neither handled nor parked,
   * so its partition can never move on. Called from inside a batch; must not wait for it.
   */
  fail(error: KafkitError): void
}

/** 'timed': a message handled synchronously whose duration the caller ends with its next clock read (direct timing). */
type Outcome = 'done' | 'aborted' | 'timed'
/** A record and its message. A class, not a literal, as the messages are (`ConsumedMessage` in internal/record.ts: V8 never pretenures objects made by `new`). */
class Decoded {
  declare raw: RawRecord
  declare message: Message<AnyTopicContract>

  constructor(raw: RawRecord, message: Message<AnyTopicContract>) {
    this.raw = raw
    this.message = message
  }
}

/**
 * How long a run of handlers may keep the event loop to itself. Synchronous handlers (and
 * async ones that never wait on I/O) would otherwise run a whole batch in one macrotask:
 * no heartbeat timer, no fetch response, no shutdown timer, no other partition in between,
 * and a batch longer than the session timeout costs the group its membership.
 */
const MAX_TURN_MS = 50

/** The monotonic clock of turns and handler durations, in milliseconds. */
const clock = () => performance.now()

/**
 * How a message handler's calls in one batch are timed, when the runtime times them itself:
 * where the durations go, and when the message being handled started (a clock reading).
 */
interface DirectTiming {
  readonly groupId: string
  readonly topic: string
  readonly timing: NonNullable<RuntimeContext['handlerTiming']>
  readonly record: (durationS: number) => void
  startedAt: number
}

/**
 * Works through one partition batch in order: each record (or run of records, for batch
 * handlers) is handled or given to the failure policy, and only then resolved, so a commit
 * never covers a message that was neither handled nor safely written elsewhere.
 * @throws the heartbeat failure (rebalance) after in-flight work settled, so the engine rejoins
 */
export async function processBatch(batch: WorkBatch, route: Route, ctx: RuntimeContext): Promise<void> {
  // Its heartbeat failures reach the group's events through the engine (a rebalance, an eviction).
  const keeper = new HeartbeatKeeper(batch, ctx.heartbeatIntervalMs)
  // One controller for the batch: its units run one after another, and an abort (shutdown
  // past its timeout, revocation) ends the batch anyway. Made lazily: most batches of a
  // stopped or revoked partition never get that far, and a signal is not free.
  let controller: AbortController | undefined
  let untrack = () => {}
  try {
    const records = batch.records
    let i = 0
    // A message handler is timed here, with one clock read per message, unless each call must
    // go through the instrumentation's wrapper (a tracing span) or someone listens for each
    // message's duration: a synchronous run of handlers reads the clock once per message, at
    // its end, which is where the next message starts and what the turn is measured by.
    const direct = directTiming(batch, route, ctx)
    let turnStartedAt = clock()
    // The clock reading that ended the last message of a synchronous run; -1 after an await.
    let lastEnd = turnStartedAt
    // The last offset done and not yet given to the engine: resolving costs the engine a
    // 64-bit parse per call, so a turn's records are resolved once, at its end (and on every
    // way out of the loop, before anything can commit).
    let done: string | undefined
    const resolveDone = () => {
      if (done === undefined) return
      batch.resolveOffset(done)
      done = undefined
    }
    let stale = batch.isStale()
    // Whether the last unit waited (an await): only then can the engine, a heartbeat or a
    // timer have changed anything. Between units that ran without one, only the handler
    // itself can have acted, and what it can do is ask the owner to stop.
    let waited = true
    try {
      while (i < records.length && !stale) {
        let now = lastEnd >= 0 ? lastEnd : clock()
        if (now - turnStartedAt >= MAX_TURN_MS) {
          resolveDone()
          await batch.commitIfNecessary?.()
          // Let the heartbeat timer, fetch responses, timers and other partitions run.
          await yieldToEventLoop()
          now = turnStartedAt = clock()
          waited = true
          if ((stale = batch.isStale())) break
        }
        lastEnd = -1
        if (waited ? !batch.isRunning() || ctx.isStopping() || keeper.revoked || controller?.signal.aborted : ctx.isStopping()) break
        const first = records[i] as BatchRecord
        if (route.tier >= 0) {
          const dueAt = dueAtOf(first)
          if (dueAt > ctx.now()) {
            // Not due yet: park this retry partition (other partitions keep flowing) and come back at dueAt.
            if (batch.pause === undefined || ctx.resumeAt === undefined) throw new KafkitError('KAFKIT_CONFIG', `retry topic ${batch.topic} read by an owner that cannot pause it`)
            ctx.resumeAt(batch.topic, batch.partition, dueAt, batch.pause())
            ctx.events.emit('consumer.retry-wait', { groupId: ctx.groupId, topic: batch.topic, partition: batch.partition, offset: first.offset, dueAt })
            break
          }
        }
        if (controller === undefined) {
          controller = new AbortController()
          ctx.inFlight.add(controller)
          untrack = keeper.track(controller)
        }
        let last: BatchRecord
        let outcome: Outcome | Promise<Outcome>
        if (route.handler.kind === 'message') {
          last = first
          if (direct !== undefined) direct.startedAt = now
          outcome = processMessage(batch, first, route, ctx, controller.signal, direct)
        } else {
          const unit = takeDue(batch, i, route.tier, ctx.now(), route.handler.maxMessages)
          last = unit[unit.length - 1] as RawRecord
          outcome = processUnit(unit, route, ctx, controller.signal)
          i += unit.length - 1
        }
        if (typeof outcome === 'string') {
          waited = false
          if (direct !== undefined && outcome === 'timed') {
            lastEnd = clock()
            direct.record((lastEnd - now) / 1000)
            outcome = 'done'
          }
        } else {
          waited = true
          outcome = await outcome
        }
        if (outcome === 'aborted') break
        done = last.offset
        i++
      }
    } finally {
      resolveDone()
    }
    if (!stale && !keeper.revoked) await batch.commitIfNecessary?.()
  } finally {
    untrack()
    if (controller !== undefined) ctx.inFlight.delete(controller)
    keeper.stop()
  }
  if (keeper.error !== undefined) throw keeper.error
}

/** How this batch's message-handler calls are timed by the runtime; undefined when the wrapper times them. */
function directTiming(batch: WorkBatch, route: Route, ctx: RuntimeContext): DirectTiming | undefined {
  const timing = ctx.handlerTiming
  if (timing === undefined || route.handler.kind !== 'message' || ctx.events.listens('consumer.handled')) return undefined
  try {
    if (!timing.direct()) return undefined
    return { groupId: ctx.groupId, topic: batch.topic, timing, record: timing.recorder(ctx.groupId, batch.topic), startedAt: 0 }
  } catch {
    // Instrumentation that cannot make its recorder must not stop the batch: the wrapper times it.
    return undefined
  }
}

function dueAtOf(record: BatchRecord): number {
  const due = Number(headerText(record.headers, KafkitHeaders.retryDueAt))
  return Number.isFinite(due) ? due : 0
}

/** The records of `batch` from `from` on that are due, at most `max` of them: one batch handler call. */
function takeDue(batch: WorkBatch, from: number, tier: number, now: number, max: number): RawRecord[] {
  const records = batch.records
  const unit: RawRecord[] = []
  for (let i = from; i < records.length && unit.length < max; i++) {
    const record = records[i] as BatchRecord
    if (tier >= 0 && dueAtOf(record) > now) break
    unit.push(rawRecord(batch, record))
  }
  return unit
}

/**
 * Records meant for another group: a replay addressed to the group that failed it, and,
 * on a retry topic, another group's failure (a retry topic named without the group is
 * shared; the group that wrote a record there is the one to retry it).
 */
function otherGroupReason(record: RawRecord, route: Route, groupId: string): 'replay-for-other-group' | 'retry-for-other-group' | undefined {
  const replayGroup = headerText(record.headers, KafkitHeaders.replayGroup)
  if (replayGroup !== undefined && replayGroup !== groupId) return 'replay-for-other-group'
  if (route.tier < 0) return undefined
  const failedBy = headerText(record.headers, KafkitHeaders.originalGroup)
  return failedBy !== undefined && failedBy !== groupId ? 'retry-for-other-group' : undefined
}

/**
 * One record of `batch` for a message handler. The common case (no header routing it
 * elsewhere, a serde that decodes synchronously, a handler that returns without a promise)
 * runs without a promise at all, on the engine's record as it is; anything else continues on
 * the full path of {@link processUnit}.
 */
function processMessage(batch: WorkBatch, record: BatchRecord, route: Route, ctx: RuntimeContext, signal: AbortSignal, direct: DirectTiming | undefined): Outcome | Promise<Outcome> {
  // Most records carry no kafkit header: on a source topic, one property read rules out a
  // replay for another group; the full check runs only when there is something to check.
  const headers = record.headers
  if (route.tier >= 0 || (headers !== undefined && headers[KafkitHeaders.replayGroup] !== undefined)) {
    const raw = rawRecord(batch, record)
    if (otherGroupReason(raw, route, ctx.groupId) !== undefined) return processUnit([raw], route, ctx, signal)
  }
  let decoded: Message<AnyTopicContract> | Promise<Message<AnyTopicContract>>
  try {
    decoded = decodeMessage(route.contract, batch, record, 1, signal)
  } catch (error) {
    return processUnit([rawRecord(batch, record)], route, ctx, signal, { failed: error })
  }
  if (decoded instanceof Promise) return processUnit([rawRecord(batch, record)], route, ctx, signal, decoded)
  const message = decoded as Message<AnyTopicContract> & HandlerContext
  const fn = (route.handler as { fn: MessageHandler<AnyTopicContract> }).fn
  if (direct !== undefined) return callTimed(batch, record, route, ctx, signal, direct, fn, message)
  // -1: nobody listened when the handler started, so no duration to report.
  const startedAt = ctx.events.listens('consumer.handled') ? ctx.now() : -1
  let pending: unknown
  try {
    pending = ctx.aroundHandler ? ctx.aroundHandler(batch, record, ctx.groupId, fn, message) : fn(message)
  } catch (error) {
    return handleDecoded([new Decoded(rawRecord(batch, record), message)], route, ctx, signal, error)
  }
  // Only a promise is awaited: a synchronous handler costs no trip through the microtask queue.
  if (pending !== undefined && pending !== null && typeof (pending as Promise<void>).then === 'function') {
    return Promise.resolve(pending).then(
      () => handledOne(batch, record, ctx, startedAt),
      (error: unknown) => handleDecoded([new Decoded(rawRecord(batch, record), message)], route, ctx, signal, error),
    )
  }
  return handledOne(batch, record, ctx, startedAt)
}

/**
 * A message handler's first call on {@link processMessage}'s common path, timed by the runtime
 * from `direct.startedAt` (before the decode): a synchronous success is 'timed' (the caller
 * reads the clock that ends it), a promise or a throw is timed here to its end.
 */
function callTimed(
  batch: WorkBatch,
  record: BatchRecord,
  route: Route,
  ctx: RuntimeContext,
  signal: AbortSignal,
  direct: DirectTiming,
  fn: MessageHandler<AnyTopicContract>,
  message: Message<AnyTopicContract> & HandlerContext,
): Outcome | Promise<Outcome> {
  const startedAt = direct.startedAt
  let pending: unknown
  try {
    pending = fn(message)
  } catch (error) {
    timedFailure(direct, startedAt, error)
    return handleDecoded([new Decoded(rawRecord(batch, record), message)], route, ctx, signal, error)
  }
  if (pending === undefined || pending === null || typeof (pending as Promise<void>).then !== 'function') return 'timed'
  return Promise.resolve(pending).then(
    () => {
      direct.record((clock() - startedAt) / 1000)
      return 'done' as const
    },
    (error: unknown) => {
      timedFailure(direct, startedAt, error)
      return handleDecoded([new Decoded(rawRecord(batch, record), message)], route, ctx, signal, error)
    },
  )
}

/** Reports a failed call timed by the runtime; a report that throws never turns into the handler's failure. */
function timedFailure(direct: DirectTiming, startedAt: number, error: unknown): void {
  try {
    direct.timing.failed(direct.groupId, direct.topic, (clock() - startedAt) / 1000, error)
  } catch {
    // The instrumentation reports its own failures (once); the failure policy gets the handler's error.
  }
}

/** {@link handled} for the one record of a message handler's first try, without a list. */
function handledOne(batch: WorkBatch, record: BatchRecord, ctx: RuntimeContext, startedAt: number): 'done' {
  if (startedAt < 0 || !ctx.events.listens('consumer.handled')) return 'done'
  ctx.events.emit('consumer.handled', { groupId: ctx.groupId, topic: batch.topic, partition: batch.partition, offset: record.offset, durationMs: ctx.now() - startedAt, attempt: 1 })
  return 'done'
}

/** Reports records handled (when anyone listens) and says so. */
function handled(decoded: readonly Decoded[], ctx: RuntimeContext, startedAt: number, attempt: number): 'done' {
  if (startedAt < 0 || !ctx.events.listens('consumer.handled')) return 'done'
  const durationMs = ctx.now() - startedAt
  for (const d of decoded) {
    const raw = d.raw
    ctx.events.emit('consumer.handled', { groupId: ctx.groupId, topic: raw.topic, partition: raw.partition, offset: raw.offset, durationMs, attempt })
  }
  return 'done'
}

/**
 * One unit (a record, or a run of records for a batch handler): records meant for another
 * group are passed over, the rest decoded (poison leaves at once, through the policy), then
 * handled under the failure policy. `firstDecode` is the outcome of a decode of a single
 * record already started (a pending decode, or its failure).
 */
async function processUnit(
  all: RawRecord[],
  route: Route,
  ctx: RuntimeContext,
  signal: AbortSignal,
  firstDecode?: Promise<Message<AnyTopicContract>> | { failed: unknown },
): Promise<Outcome> {
  let unit = all
  for (let i = 0; i < all.length; i++) {
    if (otherGroupReason(all[i] as RawRecord, route, ctx.groupId) === undefined) continue
    unit = all.filter((raw) => {
      const reason = otherGroupReason(raw, route, ctx.groupId)
      if (reason === undefined) return true
      ctx.events.emit('consumer.skipped', { ...ref(ctx, raw), reason })
      return false
    })
    break
  }
  // Decode first: a record whose bytes do not decode is poison and leaves at once, the rest go on.
  const decoded: Decoded[] = []
  for (const raw of unit) {
    // Synchronous serdes (JSON, strings) decode without a round through the microtask queue.
    let first: Message<AnyTopicContract> | Promise<Message<AnyTopicContract>> | { failed: unknown }
    if (firstDecode !== undefined && unit.length === 1) first = firstDecode
    else {
      try {
        first = decodeMessage(route.contract, raw, raw, 1, signalFor(route, signal))
      } catch (error) {
        first = { failed: error }
      }
    }
    const result = first instanceof Promise || 'failed' in first ? await decodeHolding(raw, route, ctx, signal, first) : { message: first }
    if (result === 'aborted') return 'aborted'
    if ('message' in result) {
      decoded.push(new Decoded(raw, result.message))
      continue
    }
    // A record that does not decode is handled by the route's policy like a failed handler:
    // retried in place (decoded again) while the policy says so, then parked or dropped. It is
    // never passed over: its offset resolves only once it decoded or its parking was acknowledged.
    let { error, info } = result
    for (let attempt = 1; ; attempt++) {
      const poison = isPoisonCode(info.code)
      if (poison && attempt === 1) ctx.events.emit('consumer.poison', { ...ref(ctx, raw), errorCode: info.code, errorMessage: info.message })
      const decision = route.policy.decide({ error, info, poison, attempt, tier: route.tier, sourceTopic: route.contract.name, groupId: ctx.groupId })
      const applied = await applyDecision(decision, [raw], attempt, info, route, ctx, signal)
      if (applied === 'aborted') return 'aborted'
      if (applied !== 'retry') break
      const again = await decodeHolding(raw, route, ctx, signal)
      if (again === 'aborted') return 'aborted'
      if ('message' in again) {
        decoded.push(new Decoded(raw, again.message))
        break
      }
      ;({ error, info } = again)
    }
  }
  if (decoded.length === 0) return 'done'
  return handleDecoded(decoded, route, ctx, signal)
}

/**
 * Runs the handler over decoded records under the failure policy: retried in place while it
 * says so, then moved to a retry topic, parked or dropped. `firstError` is the failure of a
 * first attempt already made (the fast path's).
 */
async function handleDecoded(decoded: Decoded[], route: Route, ctx: RuntimeContext, signal: AbortSignal, ...firstError: [] | [unknown]): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    const startedAt = ctx.now()
    try {
      if (attempt === 1 && firstError.length === 1) throw firstError[0]
      const handler = route.handler
      let call: () => unknown
      if (handler.kind === 'message') {
        // The message was made for this call: the first attempt gets it as it is.
        const message = (decoded[0] as Decoded).message as Message<AnyTopicContract> & HandlerContext
        let argument: Message<AnyTopicContract> & HandlerContext
        if (attempt === 1) {
          message.signal = signal
          argument = message
        } else {
          argument = { ...message, attempt: message.attempt + attempt - 1, signal }
        }
        call = () => handler.fn(argument)
      } else {
        const messages = decoded.map((d) => (attempt === 1 ? d.message : { ...d.message, attempt: d.message.attempt + attempt - 1 }))
        call = () => handler.fn(messages, { signal })
      }
      const pending = ctx.aroundHandler ? ctx.aroundHandler((decoded[0] as Decoded).raw, decoded.map((d) => d.raw), ctx.groupId, call, undefined) : call()
      // Only a promise is awaited: a synchronous handler costs no trip through the microtask queue.
      if (pending !== undefined && pending !== null && typeof (pending as Promise<void>).then === 'function') await pending
      if (attempt > 1) ctx.events.emit('consumer.recovered', { ...ref(ctx, (decoded[0] as Decoded).raw), attempt })
      return handled(decoded, ctx, startedAt, attempt)
    } catch (error) {
      // Shutdown or revocation: leave the records unresolved for the next owner; no DLQ.
      if (signal.aborted) return 'aborted'
      const info = describeError(error, stackLimit(route))
      const decision = route.policy.decide({ error, info, poison: false, attempt, tier: route.tier, sourceTopic: route.contract.name, groupId: ctx.groupId })
      const raws = decoded.map((d) => d.raw)
      const outcome = await applyDecision(decision, raws, attempt, info, route, ctx, signal)
      if (outcome !== 'retry') return outcome
    }
  }
}

/** The signal a decoded message carries: a message handler gets it in its message, a batch handler beside its messages. */
function signalFor(route: Route, signal: AbortSignal): AbortSignal | undefined {
  return route.handler.kind === 'message' ? signal : undefined
}

/**
 * Decodes one record. A decode that fails for a retriable reason outside the bytes (the
 * schema registry is unreachable) is not the message's fault: it is tried again with the
 * route's backoff, holding the partition, for as long as it takes, rather than sending
 * sound messages to the dead-letter topic during an outage. Resolves with the failure
 * for poison (a poison code) and for any other non-retriable error, for the policy.
 * `first` is the outcome of a first try already made (a pending decode, or its failure).
 */
async function decodeHolding(
  raw: RawRecord,
  route: Route,
  ctx: RuntimeContext,
  signal: AbortSignal,
  first?: Promise<Message<AnyTopicContract>> | { failed: unknown },
): Promise<{ message: Message<AnyTopicContract> } | { error: unknown; info: ErrorInfo } | 'aborted'> {
  for (let retry = 1; ; retry++) {
    try {
      if (retry === 1 && first !== undefined) {
        if (!(first instanceof Promise)) throw first.failed
        return { message: await first }
      }
      const message = await decodeMessage(route.contract, raw, raw, 1, signalFor(route, signal))
      if (retry > 1) ctx.events.emit('consumer.recovered', { ...ref(ctx, raw), attempt: retry })
      return { message }
    } catch (error) {
      const info = describeError(error, stackLimit(route))
      if (isPoisonCode(info.code) || !info.retriable) return { error, info }
      if (ctx.isStopping()) return 'aborted'
      const delayMs = backoffDelayMs(retry, route.settings.retry.backoff)
      ctx.events.emit('consumer.retry', { ...ref(ctx, raw), attempt: retry, delayMs, errorCode: info.code, errorMessage: info.message, errorReason: info.reason })
      try {
        await sleep(delayMs, signal)
      } catch {
        return 'aborted'
      }
      if (ctx.isStopping()) return 'aborted'
    }
  }
}

/** The one place a failure decision is carried out. */
async function applyDecision(decision: FailureDecision, raws: RawRecord[], attempt: number, info: ErrorInfo, route: Route, ctx: RuntimeContext, signal: AbortSignal): Promise<Outcome | 'retry'> {
  const first = raws[0] as RawRecord
  switch (decision.kind) {
    case 'retry':
      ctx.events.emit('consumer.retry', { ...ref(ctx, first), attempt, delayMs: decision.delayMs, errorCode: info.code, errorMessage: info.message, errorReason: info.reason })
      try {
        await sleep(decision.delayMs, signal)
      } catch {
        return 'aborted'
      }
      return 'retry'
    case 'retry-topic': {
      const now = ctx.now()
      const records = raws.map((record) => buildRetryRecord({ record, topic: decision.topic, groupId: ctx.groupId, attempt, error: info, now }, decision.delayMs))
      if (!(await sendDurably(records, raws, route, ctx, signal))) return 'aborted'
      for (const raw of raws) ctx.events.emit('consumer.retry-topic', { ...ref(ctx, raw), retryTopic: decision.topic, dueAt: now + decision.delayMs, errorCode: info.code })
      return 'done'
    }
    case 'dead-letter': {
      const mode = route.settings.deadLetter ? route.settings.deadLetter.headers : 'kafkit'
      const now = ctx.now()
      const records = raws.map((record) => buildDeadLetterRecord({ record, topic: decision.topic, groupId: ctx.groupId, attempt, error: info, now }, mode))
      if (!(await sendDurably(records, raws, route, ctx, signal))) return 'aborted'
      for (const raw of raws) ctx.events.emit('dlq.dispatched', { ...ref(ctx, raw), dlqTopic: decision.topic, errorCode: info.code, attempts: attempt })
      return 'done'
    }
    case 'drop':
      for (const raw of raws) ctx.events.emit('consumer.dropped', { ...ref(ctx, raw), errorCode: info.code, errorMessage: info.message })
      return 'done'
  }
}

/**
 * Writes until the broker acknowledges. A dead-letter or retry write that fails for a
 * retriable reason holds its partition (the offset must not move past a message that is
 * nowhere safe) and is tried again with backoff until it succeeds or the work is aborted.
 * A write refused because the principal may not write the target topic (a missing ACL,
 * `context.reason: 'authorization'`) holds it the same way, tried again with the route's
 * backoff: an ACL comes back by an operator's hand (a rolling ACL change, ACLs re-created),
 * no smaller record changes the answer, and stopping would leave every partition behind it.
 * The handler is not called again: its verdict stands, only its record's parking waits.
 * Any other write the broker refuses for good (not retriable: the record is too large) is
 * tried once more without the diagnostic extras (stack trace, long message), the usual
 * reason for "too large"; when that fails too, looping would hold the partition forever in
 * silence, so the consumer fails visibly instead (`ctx.fail`).
 * @returns whether the write was acknowledged (false: aborted, stopping or failed; leave the records unresolved)
 */
async function sendDurably(records: OutgoingRecord[], sources: RawRecord[], route: Route, ctx: RuntimeContext, signal: AbortSignal): Promise<boolean> {
  const first = sources[0] as RawRecord
  const held = { topic: first.topic, partition: first.partition, offset: first.offset }
  let stripped = false
  let refusals = 0
  for (let delayMs = 500; ; ) {
    try {
      await ctx.sink.send(records)
      return true
    } catch (error) {
      const kafkit = isKafkitError(error) ? error : undefined
      const reason = typeof kafkit?.context['reason'] === 'string' ? kafkit.context['reason'] : undefined
      const failed = (retryInMs: number) =>
        ctx.events.emit('consumer.write-failed', {
          groupId: ctx.groupId,
          topic: records[0]?.topic ?? '',
          error,
          retryInMs,
          held,
          errorCode: kafkit?.code ?? 'KAFKIT_KAFKA',
          errorMessage: error instanceof Error ? error.message : String(error),
          errorReason: reason,
        })
      if (kafkit?.code === 'KAFKIT_AUTH' && reason === 'authorization') {
        const retryInMs = backoffDelayMs(++refusals, route.settings.retry.backoff)
        failed(retryInMs)
        // A stop ends the hold (at the latest after this wait): the record stays uncommitted for whoever reads the partition next.
        if (ctx.isStopping()) return false
        try {
          await sleep(retryInMs, signal)
        } catch {
          return false
        }
        if (ctx.isStopping()) return false
        continue
      }
      const fatal = kafkit !== undefined && !kafkit.retriable
      if (fatal && stripped) {
        ctx.fail(unwritable(kafkit, records, sources, ctx.groupId))
        return false
      }
      failed(fatal ? 0 : delayMs)
      if (fatal) {
        records = records.map(withoutExtras)
        stripped = true
        continue
      }
      try {
        await sleep(delayMs, signal)
      } catch {
        return false
      }
      delayMs = Math.min(delayMs * 2, 30_000)
    }
  }
}

/** The error a consumer stops with when a failed record cannot be parked anywhere. */
function unwritable(error: KafkitError, records: OutgoingRecord[], sources: RawRecord[], groupId: string): KafkitError {
  const first = sources[0] as RawRecord
  const target = records[0]?.topic ?? '?'
  const where = `${first.topic}[${first.partition}]@${first.offset}${sources.length > 1 ? ` (and ${sources.length - 1} more)` : ''}`
  return new KafkitError(
    error.code,
    `consumer ${groupId} cannot write ${where} to ${target}, also without diagnostic headers: ${error.message.replace(/\.$/, '')}. The record cannot be skipped (at least once), so the consumer stops`,
    { cause: error, retriable: false, context: { groupId, topic: first.topic, partition: first.partition, offset: first.offset, target } },
  )
}

function ref(ctx: RuntimeContext, raw: RawRecord) {
  return { groupId: ctx.groupId, topic: raw.topic, partition: raw.partition, offset: raw.offset }
}

function stackLimit(route: Route): number {
  return route.settings.deadLetter ? route.settings.deadLetter.stackLimit : 4_000
}
