import { KafkitError } from '../../errors.js'
import { hasEngineErrorType } from './errors.js'

/** The protocol error a broker answers for a topic the principal may not use. */
export const TOPIC_AUTHORIZATION_FAILED = 'TOPIC_AUTHORIZATION_FAILED'

/**
 * Which request refused the topic, and so which ACL the principal lacks: WRITE implies
 * DESCRIBE, so a Metadata refusal means neither; a Produce or AddPartitionsToTxn refusal
 * means the principal may describe the topic but not write it.
 */
export type RefusedBy = 'metadata' | 'produce' | 'transaction'

const REFUSAL: Record<RefusedBy, string> = {
  metadata: 'the broker refused its metadata, so the principal has neither WRITE nor DESCRIBE on it (a broker answers the same for a topic that does not exist, to a principal that may not describe it)',
  produce: 'the broker refused the records: the principal may describe the topic but lacks WRITE on it',
  transaction: 'the transaction coordinator refused to add it to the transaction: the principal may describe the topic but lacks WRITE on it',
}

/**
 * The error of records refused because the client's principal may not write `topics`
 * (`TOPIC_AUTHORIZATION_FAILED`): `KAFKIT_AUTH`, never retriable (an ACL appears by an
 * operator's hand, not by waiting), naming the topics and the missing ACL. `context.topic`
 * is the topic when there is one, else `context.topics` lists them. `context.reason:
 * 'authorization'` tells the consumer runtime that a retry or dead-letter write so refused
 * holds its partition until the ACL is back, rather than stop the consumer.
 */
export function topicAuthorizationError(topics: readonly string[], by: RefusedBy, cause?: unknown): KafkitError {
  const named = topics.map((topic) => `'${topic}'`).join(', ')
  const subject = topics.length === 1 ? `topic ${named}` : `one or more of topics ${named}`
  return new KafkitError(
    'KAFKIT_AUTH',
    `not authorized to write to ${subject} (${TOPIC_AUTHORIZATION_FAILED}): ${REFUSAL[by]}. ` +
      `Grant the principal WRITE on it (an ACL, e.g. kafka-acls --add --allow-principal User:<name> --operation Write --topic ${topics.length === 1 ? topics[0] : '<topic>'}), or send elsewhere`,
    {
      ...(cause === undefined ? {} : { cause }),
      retriable: false,
      context: { ...(topics.length === 1 ? { topic: topics[0] } : { topics: [...topics] }), kafkaError: TOPIC_AUTHORIZATION_FAILED, refusedBy: by, reason: 'authorization' },
    },
  )
}

const REFUSED = new Set([TOPIC_AUTHORIZATION_FAILED])

/** Whether `error` (an engine error, or one wrapping it) is a topic authorization refusal. */
export function isTopicAuthorizationFailure(error: unknown): boolean {
  return hasEngineErrorType(error, REFUSED)
}
