import type { KafkitError } from './errors.js'

/**
 * Events of transactional producers (`producer.transaction`) and pipelines, by name.
 * Namespaced `producer.txn.*`; subscribe with `producer.on(name, listener)` or
 * `pipeline.on(name, listener)`, which return the unsubscribe function.
 */
export interface TransactionEvents {
  /** A transaction began. `attempt` counts tries of the same work (1, then 2… after a transient failure). */
  'producer.txn.begin': { transactionalId: string; attempt: number }
  /** The broker committed: every record of it is visible to `read_committed` readers, at once. */
  'producer.txn.commit': { transactionalId: string; attempt: number; records: number; topics: string[]; durationMs: number }
  /**
   * The transaction was aborted: nothing of it will ever be visible to `read_committed`
   * readers. `retryInMs` is set when kafkit tries the work again.
   */
  'producer.txn.abort': {
    transactionalId: string
    attempt: number
    reason: 'callback-error' | 'kafka-error' | 'stopping' | 'revoked'
    errorCode: string
    errorMessage: string
    durationMs: number
    retryInMs?: number
  }
  /** The commit request failed: the broker may or may not have committed; kafkit re-registers the id to settle it. */
  'producer.txn.commit-unknown': { transactionalId: string; error: KafkitError }
  /** Another instance registered the same transactional id: this producer is done for good. */
  'producer.txn.fenced': { transactionalId: string; error: KafkitError }
}

/** Name of a transaction event. */
export type TransactionEventName = keyof TransactionEvents
