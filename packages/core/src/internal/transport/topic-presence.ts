/**
 * Topics a producer still has records queued for that the cluster said it does not know (a
 * topic deleted under the producer, or a new one a broker has not heard of yet).
 *
 * kafkajs asks for every topic a producer ever wrote to in one metadata request, and fails
 * the whole request when one of them is missing: one deleted topic would stop every other
 * topic from following its leaders. So a missing topic is left out of that request and asked
 * for on its own, with a backoff of its own (100 ms doubling to 5 s), until it is there again
 * or nothing waits for it any more (its records fail at their delivery timeout).
 */
export class TopicPresence {
  readonly #absent = new Map<string, { attempt: number; dueAt: number; code: number }>()

  /**
   * The cluster answered `topic` with the protocol error `code` (the topic is unknown, or not
   * authorized): it is asked for again after a longer backoff each time.
   */
  markAbsent(topic: string, now: number, code: number): void {
    const attempt = (this.#absent.get(topic)?.attempt ?? -1) + 1
    this.#absent.set(topic, { attempt, dueAt: now + absentBackoff(attempt), code })
  }

  /** The protocol error the cluster last answered a set-aside topic with. */
  code(topic: string): number | undefined {
    return this.#absent.get(topic)?.code
  }

  /** The cluster knows `topic` again, or nothing needs it any more. */
  forget(topic: string): void {
    this.#absent.delete(topic)
  }

  /** When `topic`, set aside as missing, is to be asked for again; undefined when it is not set aside. */
  dueAt(topic: string): number | undefined {
    return this.#absent.get(topic)?.dueAt
  }

  /** The set-aside topics whose backoff has passed. */
  due(now: number): string[] {
    return [...this.#absent].filter(([, entry]) => entry.dueAt <= now).map(([topic]) => topic)
  }

  /** Every topic set aside. */
  topics(): string[] {
    return [...this.#absent.keys()]
  }
}

const FIRST_BACKOFF_MS = 100
const LAST_BACKOFF_MS = 5000

/** 100 ms doubling to 5 s, with ±20 % jitter. */
export function absentBackoff(attempt: number): number {
  const base = Math.min(LAST_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, attempt))
  return Math.round(base * (0.8 + Math.random() * 0.4))
}
