import { KafkitError, type KafkitErrorContext } from '../../errors.js'
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
  return refusal('write', topics, REFUSAL[by], by, cause, '', { reason: 'authorization' })
}

/**
 * Which request refused a topic to a group member, and so which ACL the principal lacks:
 * READ implies DESCRIBE, so a Metadata refusal (at subscribe) means neither; a Fetch refusal
 * means the principal may describe the topic but not read it.
 */
export type ReadRefusedBy = 'metadata' | 'fetch'

const READ_REFUSAL: Record<ReadRefusedBy, string> = {
  metadata: 'the broker refused its metadata, so the principal has neither READ nor DESCRIBE on it (a broker answers the same for a topic that does not exist, to a principal that may not describe it)',
  fetch: 'the broker refused to fetch it: the principal may describe the topic but lacks READ on it',
}

/**
 * The error of a group member (consumer, pipeline) whose principal may not read `topics`:
 * as {@link topicAuthorizationError}, for READ, with `context.groupId`. A Fetch refusal does
 * not say which of the topics it was: `topics` are then every topic subscribed.
 */
export function topicReadAuthorizationError(topics: readonly string[], by: ReadRefusedBy, groupId: string, cause?: unknown): KafkitError {
  return refusal('read', topics, READ_REFUSAL[by], by, cause, `consumer group ${groupId}: `, { groupId })
}

function refusal(operation: 'write' | 'read', topics: readonly string[], why: string, by: string, cause: unknown, prefix = '', context: KafkitErrorContext = {}): KafkitError {
  const named = topics.map((topic) => `'${topic}'`).join(', ')
  const subject = topics.length === 1 ? `topic ${named}` : `one or more of topics ${named}`
  const acl = operation === 'write' ? 'Write' : 'Read'
  return new KafkitError(
    'KAFKIT_AUTH',
    `${prefix}not authorized to ${operation === 'write' ? 'write to' : 'read'} ${subject} (${TOPIC_AUTHORIZATION_FAILED}): ${why}. ` +
      `Grant the principal ${operation.toUpperCase()} on it (an ACL, e.g. kafka-acls --add --allow-principal User:<name> --operation ${acl} --topic ${topics.length === 1 ? topics[0] : '<topic>'}), or ${operation === 'write' ? 'send elsewhere' : 'do not subscribe to it'}`,
    {
      ...(cause === undefined ? {} : { cause }),
      retriable: false,
      context: { ...context, ...(topics.length === 1 ? { topic: topics[0] } : { topics: [...topics] }), kafkaError: TOPIC_AUTHORIZATION_FAILED, refusedBy: by },
    },
  )
}

/** The protocol error a broker answers for a consumer group the principal may not use. */
export const GROUP_AUTHORIZATION_FAILED = 'GROUP_AUTHORIZATION_FAILED'

/**
 * The error of a group member whose principal may not use its consumer group: `KAFKIT_AUTH`,
 * never retriable, naming the group and the ACL missing (READ, which implies the DESCRIBE the
 * coordinator lookup asks for), `context.groupId`.
 */
export function groupAuthorizationError(groupId: string, cause?: unknown): KafkitError {
  return new KafkitError(
    'KAFKIT_AUTH',
    `consumer group ${groupId}: not authorized to use group '${groupId}' (${GROUP_AUTHORIZATION_FAILED}): the broker refused the group, so the principal lacks READ on it (READ implies the DESCRIBE its coordinator lookup needs). ` +
      `Grant the principal READ on the group (an ACL, e.g. kafka-acls --add --allow-principal User:<name> --operation Read --group ${groupId}), or use a group it may read`,
    { ...(cause === undefined ? {} : { cause }), retriable: false, context: { groupId, kafkaError: GROUP_AUTHORIZATION_FAILED } },
  )
}

const REFUSED = new Set([TOPIC_AUTHORIZATION_FAILED])

/** Whether `error` (an engine error, or one wrapping it) is a topic authorization refusal. */
export function isTopicAuthorizationFailure(error: unknown): boolean {
  return hasEngineErrorType(error, REFUSED)
}

const GROUP_REFUSED = new Set([GROUP_AUTHORIZATION_FAILED])

/** Whether `error` (an engine error, or one wrapping it) is a consumer group authorization refusal. */
export function isGroupAuthorizationFailure(error: unknown): boolean {
  return hasEngineErrorType(error, GROUP_REFUSED)
}
