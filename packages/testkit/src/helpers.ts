import { randomBytes } from 'node:crypto'

/**
 * A topic or group name no other test uses: `<prefix>-<random>`. Tests that share one
 * cluster isolate themselves with it.
 */
export function uniqueName(prefix = 'kafkit-test'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, or throws after
 * `timeoutMs` with `message` and the last value seen.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number; message?: string } = {}): Promise<Exclude<T, false | undefined>> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      last = value
      if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) {
      throw new Error(`${options.message ?? 'condition'} not met within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100))
  }
}

/**
 * What `promise` rejects with, to assert on it; throws when it resolves instead. Takes the
 * promise itself: start the call only where it is awaited, so its rejection is never left
 * unobserved while something else is awaited.
 */
export async function rejectionOf<E = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise
  } catch (error) {
    return error as E
  }
  throw new Error('expected a rejection, the promise resolved')
}
