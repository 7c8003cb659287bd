import { Issues } from '../runtime/options.js'
import { HeldPartitions, type HeldPartition, type RetryReport } from './held-partitions.js'

export type { HeldPartition }

/** One consumer's state, as a probe sees it. */
export interface ConsumerHealth {
  groupId: string
  /** `starting` until joined; `crashed` after an engine crash it does not restart from. */
  state: 'starting' | 'running' | 'rebalancing' | 'restarting' | 'stopping' | 'crashed' | 'stopped'
  /** The engine holds a connection to the cluster. */
  connected: boolean
  /** Partitions assigned at the last group join, by topic. Empty is legitimate (more members than partitions). */
  assignment: Record<string, number[]>
  /** Total of {@link assignment}. */
  assignedPartitions: number
  /** Last completed fetch (a poll), ISO time; undefined before the first. */
  lastPollAt: string | undefined
  /** Milliseconds since {@link lastPollAt}. */
  lastPollAgeMs: number | undefined
  /** Message of the last crash, if any. */
  lastError: string | undefined
  /**
   * Partitions held by retries of one record for `maxPartitionHoldMs` or longer (in a
   * {@link HealthReport}; a tracker's own snapshot lists every hold). Empty when all flow.
   */
  heldPartitions: HeldPartition[]
}

/** A readiness/liveness view of a client, for Kubernetes probes. */
export interface HealthReport {
  /**
   * False when a consumer crashed for good, or a running consumer has not completed a
   * poll within `maxPollIntervalMs` and is not retrying a held record either: restarting
   * the process is the cure (liveness probe).
   */
  live: boolean
  /**
   * True when every consumer is connected, a member of its group, and no partition of it has
   * been held by retries for `maxPartitionHoldMs` (readiness probe).
   */
  ready: boolean
  /** Why `live` or `ready` is false, one sentence each. */
  problems: string[]
  consumers: ConsumerHealth[]
}

/** Options of `kafka.health()`. */
export interface HealthOptions {
  /**
   * A running consumer that has not completed a fetch for this long is reported not live
   * (as the Java client's `max.poll.interval.ms`). A fetch completes every
   * `maxWaitTimeMs` even when there is nothing to read, but a handler that runs longer
   * than this blocks it: keep it above your slowest handler.
   * @default 300_000
   */
  maxPollIntervalMs?: number
  /**
   * A partition held this long by the retries of one record is listed in the consumer's
   * `heldPartitions` and makes the client not ready: a handler retried in place, a decode the
   * schema registry keeps failing (unreachable, 5xx, or refusing kafkit's credentials,
   * `reason: 'credentials'`), or a retry or dead-letter write the broker refuses for a missing
   * ACL (`reason: 'authorization'`) or cannot take yet. The instance cannot do its work, but
   * it stays live: a restart fixes no credentials, grants no ACL and brings no registry back,
   * and a partition held while the runtime keeps trying is not counted as a poll that stopped. It clears once the
   * partition moves on. Keep it above the longest in-place retry run you expect (with the
   * default backoff, 3 attempts take under 2 s). `Infinity`: never report one. A negative
   * or NaN value is refused (`KAFKIT_CONFIG`).
   * @default 60_000
   */
  maxPartitionHoldMs?: number
}

/**
 * Checks health options, as `health()` and an ops endpoint get them.
 * @throws KafkitError `KAFKIT_CONFIG` naming each invalid option and its value (a negative or NaN limit)
 * @internal
 */
export function checkHealthOptions(options: HealthOptions): void {
  const issues = new Issues()
  issues.limit(options.maxPollIntervalMs, 'maxPollIntervalMs', 0)
  issues.limit(options.maxPartitionHoldMs, 'maxPartitionHoldMs', 0)
  issues.throwIfAny('health')
}

/** Tracks one consumer's state from its events. @internal */
export class ConsumerHealthTracker {
  readonly groupId: string
  #state: ConsumerHealth['state'] = 'starting'
  #connected = false
  #assignment: Record<string, number[]> = {}
  #lastPollAt: number | undefined
  #lastError: string | undefined
  readonly #held: HeldPartitions

  constructor(groupId: string, private readonly now: () => number = Date.now) {
    this.groupId = groupId
    this.#held = new HeldPartitions(now)
  }

  connected(): void {
    this.#connected = true
  }

  disconnected(): void {
    this.#connected = false
  }

  joined(assignment: Record<string, number[]>): void {
    this.#assignment = assignment
    this.#held.assigned(assignment)
    // A join that completes while stopping (or after a crash for good) does not make it ready again.
    if (this.#state !== 'stopped' && this.#state !== 'stopping' && this.#state !== 'crashed') this.#state = 'running'
  }

  rebalancing(): void {
    if (this.#state === 'running') this.#state = 'rebalancing'
  }

  polled(): void {
    this.#lastPollAt = this.now()
  }

  /** A record failed and is retried in place (a `consumer.retry` event): its partition is held. */
  retrying(e: RetryReport): void {
    this.#held.retrying(e)
  }

  /** The partition moved on: its batch ended, or its record was parked or dropped. Once per batch: costs nothing while nothing is held. */
  progressed(topic: string, partition: number): void {
    this.#held.progressed(topic, partition)
  }

  crashed(error: unknown, restart: boolean): void {
    this.#lastError = error instanceof Error ? error.message : String(error)
    this.#state = restart ? 'restarting' : 'crashed'
  }

  /** A graceful stop began: not ready from now on (no new work should be routed here). */
  stopping(): void {
    if (this.#state !== 'crashed') this.#state = 'stopping'
  }

  /** True when the consumer ended in a crash it does not recover from. */
  get crashedForGood(): boolean {
    return this.#state === 'crashed'
  }

  stopped(): void {
    // A consumer that stops because it failed for good (kafkit stops it after the crash) stays crashed: not live.
    if (this.#state !== 'crashed') this.#state = 'stopped'
    this.#connected = false
    this.#held.clear()
  }

  snapshot(): ConsumerHealth {
    const assignedPartitions = Object.values(this.#assignment).reduce((sum, partitions) => sum + partitions.length, 0)
    return {
      groupId: this.groupId,
      state: this.#state,
      connected: this.#connected,
      assignment: this.#assignment,
      assignedPartitions,
      lastPollAt: this.#lastPollAt === undefined ? undefined : new Date(this.#lastPollAt).toISOString(),
      lastPollAgeMs: this.#lastPollAt === undefined ? undefined : this.now() - this.#lastPollAt,
      lastError: this.#lastError,
      heldPartitions: this.#held.snapshot(),
    }
  }
}

/** What holds a partition, by {@link HeldPartition.reason}, as a problem sentence says it. */
const HOLD_CAUSE: Record<HeldPartition['reason'], string> = {
  credentials: 'the schema registry refuses its credentials',
  authorization: 'the broker refuses its principal an ACL (a retry or dead-letter write, most often: the error names the topic and the ACL)',
  other: 'a retriable failure',
}

/**
 * Judges consumers' snapshots. Not ready while starting, rebalancing, restarting, stopping or
 * disconnected, while a partition is held by retries for `maxPartitionHoldMs` or longer, or
 * while the client is closing; not live after a crash the engine does not restart from, or
 * when a running consumer stopped polling without a held record it keeps retrying (the hold
 * blocks the engine's fetches of that broker; the retries show the consumer at work). A
 * consumer stopped on purpose is no longer reported (the service may go on without it).
 */
export function judgeHealth(consumers: ConsumerHealth[], options: HealthOptions = {}, closing = false): HealthReport {
  checkHealthOptions(options)
  const maxPollIntervalMs = options.maxPollIntervalMs ?? 300_000
  const maxPartitionHoldMs = options.maxPartitionHoldMs ?? 60_000
  const problems: string[] = []
  let live = true
  let ready = true
  const reported: ConsumerHealth[] = []
  for (const c of consumers) {
    const who = `consumer ${c.groupId}`
    const held = c.heldPartitions.filter((h) => h.heldMs >= maxPartitionHoldMs)
    reported.push(held.length === c.heldPartitions.length ? c : { ...c, heldPartitions: held })
    if (c.state === 'crashed') {
      live = false
      problems.push(`${who} crashed and does not restart: ${c.lastError ?? 'unknown error'}`)
    } else if (c.state === 'running' && c.lastPollAgeMs !== undefined && c.lastPollAgeMs > maxPollIntervalMs && !c.heldPartitions.some((h) => h.lastAttemptAgeMs <= maxPollIntervalMs)) {
      live = false
      problems.push(`${who} has not completed a poll for ${c.lastPollAgeMs} ms (limit ${maxPollIntervalMs} ms)`)
    }
    if (c.state !== 'crashed' && c.state !== 'stopped') {
      for (const h of held) {
        ready = false
        problems.push(`${who} holds ${h.topic}[${h.partition}] at offset ${h.offset} for ${h.heldMs} ms (limit ${maxPartitionHoldMs} ms) after ${h.attempts} failed attempt${h.attempts === 1 ? '' : 's'}: ${HOLD_CAUSE[h.reason]} (${h.errorCode}: ${h.errorMessage})`)
      }
    }
    if (c.state !== 'running') {
      ready = false
      if (c.state !== 'crashed') problems.push(`${who} is ${c.state}`)
    } else if (!c.connected) {
      ready = false
      problems.push(`${who} is not connected`)
    }
  }
  if (closing) {
    ready = false
    problems.push('the client is closing')
  }
  return { live, ready: ready && live, problems, consumers: reported }
}
