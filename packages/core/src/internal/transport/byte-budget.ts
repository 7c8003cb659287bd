import { KafkitError } from '../../errors.js'

/** The default bound on the bytes of records a producer holds for unsettled sends: the Java client's `buffer.memory`. */
export const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024

/** setTimeout holds at most 2^31 - 1 ms; a longer wait is cut to it. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** A send waiting for room. */
interface RoomWaiter {
  bytes: number
  resolve: () => void
  reject: (error: unknown) => void
  timer: NodeJS.Timeout | undefined
}

/**
 * The producer's memory bound (Java's `buffer.memory` and `max.block.ms`): the bytes of
 * keys, values and headers held for sends not yet settled. A send that would go past the
 * bound waits for room, first come first served, until its deadline; one larger than the
 * whole bound is let in when nothing else is held, so it is never refused for its size alone.
 */
export class ByteBudget {
  #held = 0
  #closed = false
  /** Sends waiting for room, in call order. */
  readonly #waiters: RoomWaiter[] = []

  constructor(
    readonly max: number,
    /** For the error of a send that waited past its deadline. */
    private readonly deliveryTimeoutMs: number,
  ) {}

  /** Bytes held for sends let in and not yet settled. */
  get held(): number {
    return this.#held
  }

  /**
   * Waits until `bytes` fit (behind every earlier waiter), then holds them until {@link release}.
   * @throws KafkitError `KAFKIT_KAFKA` `reason: 'buffer-full'` at `deadline`; `KAFKIT_ABORTED` once closed
   */
  reserve(bytes: number, deadline: number): Promise<void> {
    // A send still entering when the producer closed would otherwise wait out its whole deadline.
    if (this.#closed) return Promise.reject(new KafkitError('KAFKIT_ABORTED', 'The producer is disconnected', { retriable: true, context: { outcome: 'not-written' } }))
    if (this.#waiters.length === 0 && this.#fits(bytes)) {
      this.#held += bytes
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: RoomWaiter = { bytes, resolve, reject, timer: undefined }
      waiter.timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter)
        if (at >= 0) this.#waiters.splice(at, 1)
        reject(
          new KafkitError(
            'KAFKIT_KAFKA',
            `send not queued within the delivery timeout (${this.deliveryTimeoutMs} ms): the producer holds ${this.#held} bytes of records not yet acknowledged, and maxQueuedBytes is ${this.max}; the cluster is slower than the sends or unavailable`,
            { retriable: true, context: { reason: 'buffer-full', outcome: 'not-written', queuedBytes: this.#held, maxQueuedBytes: this.max } },
          ),
        )
        // A big waiter that gave up may have held back smaller ones behind it.
        this.#admit()
      }, Math.min(MAX_TIMER_MS, Math.max(0, deadline - Date.now())))
      this.#waiters.push(waiter)
    })
  }

  /** Gives back what a settled (or abandoned) send held, and lets waiting sends in. */
  release(bytes: number): void {
    this.#held -= bytes
    this.#admit()
  }

  /** Refuses new sends and fails every waiting one (`KAFKIT_ABORTED`, not written). */
  close(): void {
    this.#closed = true
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer)
      waiter.reject(new KafkitError('KAFKIT_ABORTED', 'The producer was disconnected while the send waited for room in its buffer', { retriable: true, context: { outcome: 'not-written' } }))
    }
  }

  #fits(bytes: number): boolean {
    return this.#held === 0 || this.#held + bytes <= this.max
  }

  /** Lets waiting sends in, first come first served, while they fit. */
  #admit(): void {
    while (this.#waiters.length > 0) {
      const waiter = this.#waiters[0] as RoomWaiter
      if (!this.#fits(waiter.bytes)) return
      this.#waiters.shift()
      clearTimeout(waiter.timer)
      this.#held += waiter.bytes
      waiter.resolve()
    }
  }
}
