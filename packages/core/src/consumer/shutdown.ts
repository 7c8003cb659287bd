/**
 * Stops a consumer on process signals, then lets the signal do what it would have done:
 * once the last kafkit listener for it is gone, the signal is raised again, so a process
 * with no other handler still exits with the usual status after a clean shutdown.
 */
export function onSignals(signals: NodeJS.Signals[], stop: (reason: string) => Promise<void>): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>()
  const remove = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler)
    handlers.clear()
  }
  for (const signal of signals) {
    const handler = () => {
      remove()
      void stop(`signal ${signal}`).finally(() => {
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
      })
    }
    handlers.set(signal, handler)
    process.on(signal, handler)
  }
  return remove
}
