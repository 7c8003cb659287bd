import type { ConsumerEvents } from '../runtime/events.js'
import type { KafkitError } from '../errors.js'
import type { TransactionEvents } from '../transaction-events.js'

/** Events only a pipeline emits. */
export interface PipelineOwnEvents {
  /** `start()` finished: the transactional id is registered and the group joined; `outputs` are the output topics. */
  'pipeline.started': { groupId: string; transactionalId: string; topic: string; outputs: string[] }
  /**
   * One transaction committed: the outputs (and dead letters) of `inputs` records and the
   * group's offset `nextOffset` of `topic`/`partition`, all or nothing.
   */
  'pipeline.committed': { groupId: string; transactionalId: string; topic: string; partition: number; inputs: number; outputs: number; nextOffset: string; durationMs: number }
  /** After an uncertain failure: the work resumes from the group's committed offset. */
  'pipeline.resumed': { groupId: string; topic: string; partition: number; committedOffset: string | undefined }
  /** A fatal error (fenced, unauthorized, refused records): the pipeline stops and `done` rejects with it. */
  'pipeline.failed': { groupId: string; transactionalId: string; error: KafkitError }
  /**
   * A stop began: `reason` is `stop()`, `disconnect()`, `signal SIGTERM` (or another signal), or `fatal: <code>`
   * when a fatal error stops the pipeline. No new fetches; a retry backoff is cut short.
   */
  'pipeline.stopping': { groupId: string; reason: string }
  /** The pipeline stopped and left the group; `error` is the fatal error that stopped it, if any (`done` rejects with it). */
  'pipeline.stopped': { groupId: string; error?: KafkitError }
}

/**
 * Every event of a pipeline: its own, the transaction events (`producer.txn.*`) and the
 * consumer runtime's per-message events (`consumer.handled`, `consumer.retry`,
 * `dlq.dispatched`… where "dispatched" means written in the open transaction).
 */
export type PipelineEvents = PipelineOwnEvents & TransactionEvents & ConsumerEvents
