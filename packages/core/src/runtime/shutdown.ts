/** The part of `process` the coordinator uses; a stand-in in tests. */
export interface SignalProcess {
  readonly pid: number
  on(signal: NodeJS.Signals, listener: () => void): unknown
  off(signal: NodeJS.Signals, listener: () => void): unknown
  listenerCount(signal: NodeJS.Signals): number
  kill(pid: number, signal: NodeJS.Signals): unknown
}

type Stop = (reason: string) => Promise<void>

/**
 * One per process: stops every registered consumer and pipeline on a signal, then lets the
 * signal do what it would have done.
 *
 * - First signal: every member registered for it is stopped at once, side by side; when
 *   all of them settled (finished, committed, left the group, or failed), kafkit's
 *   listeners are removed and, if nobody else listens for the signal, it is raised again
 *   once, so the process exits with the usual status (128 + n). Stopping each member on its
 *   own and re-raising after the first one finished would kill the others mid-commit.
 * - Second signal (of any handled kind) while stopping: kafkit lets go at once, its
 *   listeners are removed and the signal is raised again, so the default action ends the
 *   process without waiting for the shutdown (unless the application listens itself).
 *
 * kafkit never calls `process.exit`: other listeners (an application's own, the testkit's
 * exit hook) keep their say, and clean-up bound to the process's exit still runs.
 */
export class ShutdownCoordinator {
  readonly #members = new Map<Stop, Set<NodeJS.Signals>>()
  readonly #listeners = new Map<NodeJS.Signals, () => void>()
  #shuttingDown = false
  #letGo = false

  constructor(private readonly proc: SignalProcess) {}

  /** Stops `stop`'s owner on `signals`; returns the function that unregisters it. */
  register(signals: NodeJS.Signals[], stop: Stop): () => void {
    if (this.#shuttingDown) return () => {}
    this.#members.set(stop, new Set(signals))
    for (const signal of signals) this.#listen(signal)
    return () => {
      this.#members.delete(stop)
      // While a shutdown runs, listeners stay until every member settled (a second signal must still be caught).
      if (!this.#shuttingDown) this.#prune()
    }
  }

  #listen(signal: NodeJS.Signals): void {
    if (this.#listeners.has(signal)) return
    const listener = () => this.#onSignal(signal)
    this.#listeners.set(signal, listener)
    this.proc.on(signal, listener)
  }

  /** Removes the listeners of signals no member asks for any more. */
  #prune(): void {
    const wanted = new Set([...this.#members.values()].flatMap((signals) => [...signals]))
    for (const [signal, listener] of this.#listeners) {
      if (wanted.has(signal)) continue
      this.proc.off(signal, listener)
      this.#listeners.delete(signal)
    }
  }

  #removeAll(): void {
    for (const [signal, listener] of this.#listeners) this.proc.off(signal, listener)
    this.#listeners.clear()
  }

  #reraise(signal: NodeJS.Signals): void {
    if (this.proc.listenerCount(signal) === 0) this.proc.kill(this.proc.pid, signal)
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (this.#shuttingDown) {
      this.#letGo = true
      this.#removeAll()
      this.#reraise(signal)
      return
    }
    this.#shuttingDown = true
    const stopping = [...this.#members].filter(([, signals]) => signals.has(signal)).map(([stop]) => stop)
    void Promise.allSettled(stopping.map((stop) => stop(`signal ${signal}`))).then(() => {
      for (const stop of stopping) this.#members.delete(stop)
      this.#shuttingDown = false
      this.#prune()
      // After a second signal kafkit let go already: that one was raised again, not this one.
      if (!this.#letGo) this.#reraise(signal)
    })
  }
}

const key = Symbol.for('kafkit.shutdown-coordinator')

/** The process-wide coordinator, shared by every copy of `@kafkit/core` in the process. */
export function shutdownCoordinator(): ShutdownCoordinator {
  const global = globalThis as { [key]?: ShutdownCoordinator }
  return (global[key] ??= new ShutdownCoordinator(process))
}

/**
 * Stops a consumer or pipeline on process signals through the process-wide
 * {@link ShutdownCoordinator}; returns the function that unregisters it.
 */
export function onSignals(signals: NodeJS.Signals[], stop: Stop): () => void {
  return shutdownCoordinator().register(signals, stop)
}
