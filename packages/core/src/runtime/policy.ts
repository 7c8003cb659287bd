import { backoffDelayMs } from './backoff.js'
import { durationLabel } from './duration.js'
import type { ErrorInfo } from './error-info.js'
import type { ResolvedPolicy } from './options.js'

/** One failed try of one message, as the policies see it. */
export interface Failure {
  error: unknown
  info: ErrorInfo
  /** The bytes did not decode: never retried, whatever the options say. */
  poison: boolean
  /** Tries of this delivery so far, the failed one included (1 after the first failure). */
  attempt: number
  /** -1 on the source topic; `i` when the record came from retry topic `i`. */
  tier: number
  /** The topic the contract names (not a retry topic). */
  sourceTopic: string
  /** The consumer group that failed it (retry topics are per group). */
  groupId: string
}

/** What to do about a failure. */
export type FailureDecision =
  | { kind: 'retry'; delayMs: number }
  | { kind: 'retry-topic'; topic: string; tier: number; delayMs: number }
  | { kind: 'dead-letter'; topic: string }
  | { kind: 'drop' }

/** One composable piece of failure handling; `undefined` passes the failure to the next. */
export interface FailurePolicy {
  readonly name: string
  decide(failure: Failure): FailureDecision | undefined
}

/** Whether retrying can help: never for poison, else the user predicate or the error's verdict. */
export function isRetriable(failure: Failure, retryIf?: (error: unknown) => boolean): boolean {
  if (failure.poison) return false
  return retryIf ? retryIf(failure.error) : failure.info.retriable
}

/** Retry in place with backoff, up to `attempts` retries per delivery. */
export function retryInPlace(retry: ResolvedPolicy['retry'], random?: () => number): FailurePolicy {
  return {
    name: 'retry',
    decide(failure) {
      if (failure.attempt > retry.attempts || !isRetriable(failure, retry.retryIf)) return undefined
      return { kind: 'retry', delayMs: backoffDelayMs(failure.attempt, retry.backoff, random) }
    },
  }
}

/** Names of the retry topics of `sourceTopic`, in order. */
export function retryTopicNames(sourceTopic: string, retryTopics: ResolvedPolicy['retryTopics'], groupId: string): string[] {
  return retryTopics.delaysMs.map((ms) => retryTopics.topicName(sourceTopic, durationLabel(ms), groupId))
}

/** Forward to the next retry topic, until the last tier was tried. */
export function retryTopicsPolicy(retryTopics: ResolvedPolicy['retryTopics'], retryIf?: (error: unknown) => boolean): FailurePolicy {
  return {
    name: 'retry-topics',
    decide(failure) {
      const next = failure.tier + 1
      const delayMs = retryTopics.delaysMs[next]
      if (delayMs === undefined || !isRetriable(failure, retryIf)) return undefined
      return { kind: 'retry-topic', tier: next, delayMs, topic: retryTopics.topicName(failure.sourceTopic, durationLabel(delayMs), failure.groupId) }
    },
  }
}

/** Park the message in the dead-letter topic. Ends a chain. */
export function deadLetterPolicy(deadLetter: Exclude<ResolvedPolicy['deadLetter'], false>): FailurePolicy {
  return { name: 'dead-letter', decide: (failure) => ({ kind: 'dead-letter', topic: deadLetter.topic(failure.sourceTopic) }) }
}

/** Give up on the message and move on (after a `consumer.dropped` event). Ends a chain. */
export const dropPolicy: FailurePolicy = { name: 'drop', decide: () => ({ kind: 'drop' }) }

/** A policy chain: always decides. */
export interface DecidingPolicy extends FailurePolicy {
  decide(failure: Failure): FailureDecision
}

/** The first decision any of `policies` makes; `drop` when none decides. */
export function composePolicies(...policies: FailurePolicy[]): DecidingPolicy {
  return {
    name: policies.map((p) => p.name).join(' → '),
    decide(failure) {
      for (const policy of policies) {
        const decision = policy.decide(failure)
        if (decision) return decision
      }
      return { kind: 'drop' }
    },
  }
}

/** The policy chain a resolved configuration asks for: retry → retry topics → DLQ (or drop). */
export function selectPolicy(policy: ResolvedPolicy, random?: () => number): DecidingPolicy {
  const chain: FailurePolicy[] = []
  if (policy.retry.attempts > 0) chain.push(retryInPlace(policy.retry, random))
  if (policy.retryTopics.delaysMs.length > 0) chain.push(retryTopicsPolicy(policy.retryTopics, policy.retry.retryIf))
  chain.push(policy.deadLetter ? deadLetterPolicy(policy.deadLetter) : dropPolicy)
  return composePolicies(...chain)
}
