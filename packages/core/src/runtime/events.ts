/**
 * Why a group changes under a member: `rebalance` when the group rebalances, `member-lost`
 * when the coordinator no longer knows the member (evicted after the session timeout, or
 * fenced by a newer generation) and it joins again under a new member id.
 */
export type RebalanceReason = 'rebalance' | 'member-lost'

/** Where a message event happened. */
export interface MessageRef {
  groupId: string
  topic: string
  partition: number
  offset: string
}

/**
 * Every event the consumer runtime emits, by name. Namespaced: `consumer.*` for the
 * consume loop, `dlq.*` for dead letters, `replay.*` for replays.
 */
export interface ConsumerEvents {
  'consumer.started': { groupId: string; topics: string[] }
  'consumer.handled': MessageRef & { durationMs: number; attempt: number }
  /**
   * A handler failed, or a decode failed for a retriable reason (registry down, or refusing
   * kafkit's credentials), and is retried in place after `delayMs`, holding its partition.
   * `errorReason` is the failure's `context.reason` when it gives one (`'credentials'`).
   */
  'consumer.retry': MessageRef & { attempt: number; delayMs: number; errorCode: string; errorMessage: string; errorReason?: string }
  /**
   * A message retried in place got through at `attempt` (> 1): its handler succeeded, or its
   * decode did after a retriable failure. Its partition is no longer held by it. Emitted on the
   * retry path only, never for a message that succeeded at its first try.
   */
  'consumer.recovered': MessageRef & { attempt: number }
  /** A message went to a retry topic, due at `dueAt` (epoch ms). */
  'consumer.retry-topic': MessageRef & { retryTopic: string; dueAt: number; errorCode: string }
  /** A retry topic partition waits for its first message to fall due. */
  'consumer.retry-wait': { groupId: string; topic: string; partition: number; offset: string; dueAt: number }
  /** A replayed record meant for another consumer group, or another group's record in a shared retry topic, was passed over. */
  'consumer.skipped': MessageRef & { reason: 'replay-for-other-group' | 'retry-for-other-group' }
  /** The bytes of a message did not decode. */
  'consumer.poison': MessageRef & { errorCode: string; errorMessage: string }
  /** A failed message was given up (no dead-letter topic configured). */
  'consumer.dropped': MessageRef & { errorCode: string; errorMessage: string }
  /**
   * A write to retry or dead-letter topic `topic` failed; it is tried again after `retryInMs`
   * (0: at once, without diagnostic extras), holding the partition of `held`, the record it
   * parks (a batch handler's: the first of its run). `errorReason` is the failure's
   * `context.reason` when it gives one: `'authorization'` when the broker refuses the
   * principal WRITE on `topic` (a missing ACL), tried again with the route's backoff until
   * the ACL is back.
   */
  'consumer.write-failed': {
    groupId: string
    topic: string
    error: unknown
    retryInMs: number
    held: { topic: string; partition: number; offset: string }
    errorCode: string
    errorMessage: string
    errorReason?: string | undefined
  }
  /**
   * This member's group is changing: the group rebalances (a member joined or left, the
   * subscription changed), or this member lost its membership (evicted after missing the
   * session timeout, or its generation is gone). Its partitions are revoked; work in flight on
   * them is aborted and redelivered. Once per change: the next `consumer.group-joined` ends it.
   */
  'consumer.rebalancing': { groupId: string; reason: RebalanceReason; errorMessage?: string }
  /** This member (re)joined its group with `assignment`; `joins` counts the joins of this consumer (1 for the first). */
  'consumer.group-joined': { groupId: string; memberId: string; isLeader: boolean; assignment: Record<string, number[]>; joins: number }
  'consumer.stopping': { groupId: string; reason: string; inFlight: number }
  'consumer.stopped': { groupId: string; aborted: number }
  /** The engine crashed; `restart` says whether it reconnects by itself. */
  'consumer.crash': { groupId: string; error: unknown; restart: boolean }
  /** The write to the dead-letter topic was acknowledged. */
  'dlq.dispatched': MessageRef & { dlqTopic: string; errorCode: string; attempts: number }
  'replay.record': { dlqTopic: string; partition: number; offset: string; target: string; dryRun: boolean }
  'replay.skipped': { dlqTopic: string; partition: number; offset: string; reason: 'filtered' | 'already-replayed' }
  'replay.done': { dlqTopic: string; replayed: number; skipped: number; dryRun: boolean }
}

/** Name of a consumer event. */
export type ConsumerEventName = keyof ConsumerEvents

/** A listener of one event. */
export type Listener<E, K extends keyof E> = (payload: E[K]) => void

/**
 * A small typed event hub. Listeners run synchronously; one that throws is reported to
 * `onListenerError` and never disturbs the consume loop.
 */
export class EventHub<E extends object = ConsumerEvents> {
  readonly #listeners = new Map<keyof E, Set<(payload: never) => void>>()
  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof E>(name: K, listener: Listener<E, K>): () => void {
    let set = this.#listeners.get(name)
    if (!set) this.#listeners.set(name, (set = new Set()))
    set.add(listener as (payload: never) => void)
    return () => void set.delete(listener as (payload: never) => void)
  }

  /** Whether anyone listens to `name`: lets a hot path skip building a payload nobody reads. */
  listens(name: keyof E): boolean {
    const set = this.#listeners.get(name)
    return set !== undefined && set.size > 0
  }

  emit<K extends keyof E>(name: K, payload: E[K]): void {
    const set = this.#listeners.get(name)
    if (!set) return
    for (const listener of [...set]) {
      try {
        ;(listener as Listener<E, K>)(payload)
      } catch (error) {
        this.onListenerError(error)
      }
    }
  }
}
