/** A partition that makes no progress because one record's handling keeps failing for a retriable reason. */
export interface HeldPartition {
  topic: string
  partition: number
  /** The record retried: the partition goes no further until it is handled or parked. */
  offset: string
  /** The code of the last failure, e.g. `KAFKIT_REGISTRY`. */
  errorCode: string
  /** The message of the last failure (kafkit's registry errors never carry a password). */
  errorMessage: string
  /**
   * `credentials` when the schema registry refuses kafkit's credentials (HTTP 401/403): a
   * configuration change fixes it, waiting does not. `authorization` for a missing ACL
   * (`KAFKIT_AUTH`, `context.reason: 'authorization'`), most often the broker refusing the
   * consumer's principal WRITE on the record's retry or dead-letter topic: the record waits
   * for its parking until an operator grants it. `other`
   * for any other retriable failure (the registry unreachable or answering 5xx, a handler
   * retried in place, a retry or dead-letter write the cluster cannot take yet).
   */
  reason: 'credentials' | 'authorization' | 'other'
  /** When the first failure of this record was reported, ISO time. */
  since: string
  /** Milliseconds since {@link since}. */
  heldMs: number
  /** Failed attempts so far (decodes or handler calls). */
  attempts: number
  /** Milliseconds since the last failed attempt: small while the runtime keeps trying. */
  lastAttemptAgeMs: number
}

/** What a `consumer.retry` event (or a `consumer.write-failed` one, of its held record) says about the hold. */
export interface RetryReport {
  topic: string
  partition: number
  offset: string
  errorCode: string
  errorMessage: string
  errorReason?: string | undefined
}

interface Hold {
  offset: string
  errorCode: string
  errorMessage: string
  reason: HeldPartition['reason']
  since: number
  lastAttemptAt: number
  attempts: number
}

/**
 * The partitions of one consumer that retries hold, from the runtime's failure events only:
 * a `consumer.retry` (a handler or decode retried) or a `consumer.write-failed` (a retry or
 * dead-letter write tried again) starts or extends a hold (a retry of another offset of the
 * partition means the held one was passed: a new hold starts). Progress ends it: the partition's batch
 * ended, or its record was parked or dropped. Nothing here runs per handled record; the end of
 * a batch costs one size check while nothing is held.
 * @internal
 */
export class HeldPartitions {
  // By topic, then partition: a batch's end finds its partition without building a key.
  readonly #holds = new Map<string, Map<number, Hold>>()

  constructor(private readonly now: () => number) {}

  /** A record of the partition failed and is retried. */
  retrying(e: RetryReport): void {
    const now = this.now()
    let byPartition = this.#holds.get(e.topic)
    if (byPartition === undefined) this.#holds.set(e.topic, (byPartition = new Map()))
    const hold = byPartition.get(e.partition)
    const reason = e.errorReason === 'credentials' || e.errorReason === 'authorization' ? e.errorReason : 'other'
    if (hold !== undefined && hold.offset === e.offset) {
      hold.attempts++
      hold.lastAttemptAt = now
      hold.errorCode = e.errorCode
      hold.errorMessage = e.errorMessage
      hold.reason = reason
      return
    }
    byPartition.set(e.partition, { offset: e.offset, errorCode: e.errorCode, errorMessage: e.errorMessage, reason, since: now, lastAttemptAt: now, attempts: 1 })
  }

  /**
   * The partition moved on: its batch ended (the held record was handled, or the batch was
   * given up on purpose: stopping, sought), or its record was parked or dropped. A batch
   * revoked by a rebalance does not end (the engine rejoins), so a hold survives the rejoin
   * and goes on counting when the same record fails again.
   */
  progressed(topic: string, partition: number): void {
    if (this.#holds.size === 0) return
    const byPartition = this.#holds.get(topic)
    if (byPartition === undefined || !byPartition.delete(partition)) return
    if (byPartition.size === 0) this.#holds.delete(topic)
  }

  /** The group gave this member `assignment`: holds of partitions it no longer has end. */
  assigned(assignment: Record<string, number[]>): void {
    for (const [topic, byPartition] of this.#holds) {
      const kept = assignment[topic]
      for (const partition of byPartition.keys()) if (kept === undefined || !kept.includes(partition)) byPartition.delete(partition)
      if (byPartition.size === 0) this.#holds.delete(topic)
    }
  }

  clear(): void {
    this.#holds.clear()
  }

  /** Every hold, however short: the judgement applies the threshold. */
  snapshot(): HeldPartition[] {
    if (this.#holds.size === 0) return []
    const now = this.now()
    const list: HeldPartition[] = []
    for (const [topic, byPartition] of this.#holds) {
      for (const [partition, h] of byPartition) {
        list.push({
          topic,
          partition,
          offset: h.offset,
          errorCode: h.errorCode,
          errorMessage: h.errorMessage,
          reason: h.reason,
          since: new Date(h.since).toISOString(),
          heldMs: now - h.since,
          attempts: h.attempts,
          lastAttemptAgeMs: now - h.lastAttemptAt,
        })
      }
    }
    return list
  }
}
