import { KafkitError } from '../errors.js'

/** What the keeper beats for: a partition's batch. */
interface Beating {
  readonly topic: string
  readonly partition: number
  heartbeat(): Promise<void>
}

/**
 * Heartbeats while a batch is worked on, so a slow handler or a long backoff never costs
 * the group its membership. The first heartbeat failure (the group is rebalancing, or the
 * member was evicted) aborts the in-flight work of the batch: its partition is about to be
 * revoked. The error is kept so the batch can rethrow it and let the engine rejoin.
 */
export class HeartbeatKeeper {
  #error: unknown
  #reason: KafkitError | undefined
  #timer: NodeJS.Timeout
  readonly #controllers = new Set<AbortController>()

  constructor(private readonly batch: Beating, intervalMs: number) {
    this.#timer = setInterval(() => void this.beat(), intervalMs)
    // Never keep the process alive just to heartbeat.
    this.#timer.unref()
  }

  /** The heartbeat failure, if one happened. */
  get error(): unknown {
    return this.#error
  }

  /** True after a heartbeat failed: stop taking new records from this batch. */
  get revoked(): boolean {
    return this.#error !== undefined
  }

  /** Aborts `controller` too when the partition is revoked. */
  track(controller: AbortController): () => void {
    this.#controllers.add(controller)
    if (this.revoked) controller.abort(this.#reason)
    return () => void this.#controllers.delete(controller)
  }

  async beat(): Promise<void> {
    if (this.revoked) return
    try {
      await this.batch.heartbeat()
    } catch (error) {
      if (this.revoked) return
      this.#error = error
      // Handlers see one kind of abort reason, whatever the engine said.
      this.#reason = new KafkitError('KAFKIT_ABORTED', `partition ${this.batch.topic}[${this.batch.partition}] revoked: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
        retriable: true,
        context: { topic: this.batch.topic, partition: this.batch.partition },
      })
      for (const controller of this.#controllers) controller.abort(this.#reason)
    }
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}

/**
 * Resolves after the event loop had a turn: timers due (a heartbeat), I/O callbacks (a
 * fetch or heartbeat answer) and other partitions' work run first. An await of a resolved
 * promise does not do that: it only goes through the microtask queue.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
