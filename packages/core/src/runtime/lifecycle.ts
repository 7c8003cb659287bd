import { KafkitError } from '../errors.js'

/** Where a consumer or pipeline is in its life. */
export type LifecycleState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

/** What a start does beside its steps. */
export interface StartHooks {
  /** Undoes whatever the steps did so far (disconnect, release): the start failed or was stopped. */
  undo(): Promise<void>
  /** Runs in the same tick the state becomes `running`: signal handlers, the started event. */
  onRunning?(): void
}

/**
 * The start/stop state machine a consumer and a pipeline share. A `stop()` may come at any
 * time, also while `start()` is between two awaits: the start then gives up at its next
 * {@link checkpoint}, undoes what it did and rejects with `KAFKIT_ABORTED`, and the stop
 * waits for that before it runs. A start that fails undoes itself, so no engine stays
 * connected behind a rejected `start()`.
 */
export class Lifecycle {
  #state: LifecycleState = 'idle'
  #starting: Promise<void> | undefined
  #stopping: Promise<void> | undefined

  /** @param what names the owner in errors, e.g. `consumer orders-group` */
  constructor(private readonly what: string) {}

  get state(): LifecycleState {
    return this.#state
  }

  /** True once `stop()` was called, also while a start is still under way. */
  get stopRequested(): boolean {
    return this.#stopping !== undefined
  }

  /**
   * Call after each await of a start's steps.
   * @throws KafkitError `KAFKIT_ABORTED` when a stop was requested meanwhile
   */
  checkpoint(): void {
    if (this.stopRequested) throw new KafkitError('KAFKIT_ABORTED', `${this.what} was stopped while it started`)
  }

  /**
   * Runs `steps` once, from `idle`. On success the state is `running`; on failure, or when
   * stopped meanwhile, `hooks.undo()` runs, the state is `stopped` and the error is thrown.
   * @throws KafkitError `KAFKIT_CONFIG` when not idle; `KAFKIT_ABORTED` when stopped meanwhile; whatever a step throws
   */
  start(steps: () => Promise<void>, hooks: StartHooks): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new KafkitError('KAFKIT_CONFIG', `start() called on a ${this.#state} ${this.what}`))
    this.#state = 'starting'
    this.#starting = (async () => {
      try {
        this.checkpoint()
        await steps()
        this.checkpoint()
      } catch (error) {
        // Best effort: the error that stopped the start is the one to report.
        await hooks.undo().catch(() => {})
        this.#state = 'stopped'
        throw error
      }
      this.#state = 'running'
      hooks.onRunning?.()
    })()
    return this.#starting
  }

  /**
   * Runs `shutdown` once, however often it is called, after an in-flight start settled.
   * `shutdown` gets the state before the stop: `running`, `idle` (never started), or
   * `stopped` (the start failed or was stopped, and undid itself already).
   */
  stop(shutdown: (previous: LifecycleState) => Promise<void>): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#starting?.catch(() => {})
      const previous = this.#state
      this.#state = 'stopping'
      try {
        await shutdown(previous)
      } finally {
        this.#state = 'stopped'
      }
    })()
    return this.#stopping
  }
}
