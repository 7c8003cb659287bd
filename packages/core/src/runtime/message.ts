import type { AnyTopicContract, IncomingMessage } from '../contract.js'
import { decodePlaced, type RecordPlace } from '../internal/record.js'
import { previousAttempts } from './headers.js'
import type { BatchRecord } from './records.js'

/** One consumed message, decoded and typed by its contract, with where and how often it was tried. */
export type Message<C extends AnyTopicContract> = IncomingMessage<C> & {
  /** The topic the record was read from: a retry topic, or the contract's topic. */
  receivedFrom: string
  /** 1 on the first try; counts tries across retry topics too. */
  attempt: number
}

/** The context a handler gets beside its message(s). */
export interface HandlerContext {
  /** Fires when the partition is revoked or the consumer stops past its shutdown timeout. */
  signal: AbortSignal
}

/** A handler of one message. Throw to fail it; the failure policy decides what follows. */
export type MessageHandler<C extends AnyTopicContract> = (message: Message<C> & HandlerContext) => void | Promise<void>

/** A handler of several messages of one partition, in order. Throw to fail them all. */
export type BatchHandler<C extends AnyTopicContract> = (messages: Message<C>[], context: HandlerContext) => void | Promise<void>

/**
 * Decodes a record read at `place` with its contract. `topic` is the contract's topic also
 * for a record read from a retry topic, so handlers see one topic; `attempt` counts the
 * tries its headers report before this one. A message handler's `signal` is part of the
 * message from the start. Synchronous when every serde is.
 * @throws KafkitError (`KAFKIT_SERDE_*`, `KAFKIT_VALIDATION`) for bytes that do not decode
 */
export function decodeMessage<C extends AnyTopicContract>(
  contract: C,
  place: RecordPlace,
  record: BatchRecord,
  attemptOfDelivery: number,
  signal?: AbortSignal,
): Message<C> | Promise<Message<C>> {
  return decodePlaced(contract, place, record, previousAttempts(record.headers) + attemptOfDelivery, signal)
}
