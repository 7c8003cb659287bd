import { KafkitError, type KafkitErrorContext } from '../errors.js'

/**
 * `work`, or a retriable `KAFKIT_KAFKA` once it took `timeoutMs`: for a cluster that takes
 * connections and never answers, where the engine would wait out its request timeout and
 * retries before failing with an error that says nothing of the cause. `what` names the
 * operation in the message ("look up orders.dlq"). A failure of `work` after the bound is
 * nobody's any more and is dropped.
 */
export async function bounded<T>(work: Promise<T>, timeoutMs: number, what: string, context: KafkitErrorContext = {}): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new KafkitError('KAFKIT_KAFKA', `${what}: the cluster did not answer for ${timeoutMs} ms (a broker unreachable, or not answering); try again, or raise the timeout`, {
            retriable: true,
            context: { ...context, timeoutMs, reason: 'timeout' },
          }),
        ),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([work, timeout])
  } catch (error) {
    work.catch(() => {})
    throw error
  } finally {
    clearTimeout(timer)
  }
}
