/**
 * Runs `cleanup` (synchronous: an 'exit' listener cannot wait) when the process ends without
 * the cluster having been stopped.
 *
 * On SIGINT/SIGTERM: when the application listens for the signal too (a consumer finishing
 * its in-flight work and committing), the brokers must outlive that graceful shutdown, so the
 * clean-up waits for the process to exit. When nobody else listens, it cleans up at once and
 * raises the signal again, so the default action (exit with 128+n) still happens.
 */
export function installExitHook(cleanup: () => void): { remove: () => void } {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']
  const onSignal = (signal: NodeJS.Signals) => {
    const othersListen = process.listeners(signal).some((listener) => listener !== onSignal)
    if (othersListen) return
    remove()
    cleanup()
    process.kill(process.pid, signal)
  }
  const onExit = () => {
    remove()
    cleanup()
  }
  const remove = () => {
    process.removeListener('exit', onExit)
    for (const signal of signals) process.removeListener(signal, onSignal)
  }
  process.on('exit', onExit)
  for (const signal of signals) process.on(signal, onSignal)
  return { remove }
}
