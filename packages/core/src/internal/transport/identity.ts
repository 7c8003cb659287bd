import { KafkitError } from '../../errors.js'
import type { EngineEosManager } from './engine-internals.js'
import { hasEngineErrorType } from './errors.js'

/** A producer id and epoch, as the broker handed them out (kafkajs decodes the int64 id as a decimal string). */
export interface Identity {
  readonly producerId: number | string
  readonly epoch: number
}

const SEQUENCE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH'])

/** Whether a produce error is about the producer's id, epoch or sequence (the batch was not written). */
export function isSequenceError(type: string): boolean {
  return SEQUENCE_ERRORS.has(type)
}

/**
 * Where a delivery path gets its producer id and epoch, and what it does when a partition's
 * sequence can no longer be trusted.
 */
export interface IdentitySource {
  /** Whether a partition whose sequence is in doubt can move to a new identity (idempotent), or its records fail (transactional). */
  readonly renewable: boolean
  /** The identity new batches use; undefined until the first one is granted. */
  current(): Identity | undefined
  /** Asks for a new identity unless one newer than `stale` exists; resolves when there is one. */
  renew(stale: Identity | undefined): Promise<void>
  /** A sequence error on a batch: `renew` to send it again under a new identity, `fail` to fail it. */
  onSequenceError(type: string): 'renew' | 'fail'
  /** A batch failed (the transaction it belongs to must abort). */
  onBatchFailed(outcome: 'not-written' | 'unknown'): void
}

/**
 * The identity of an idempotent producer: a producer id from the cluster (InitProducerId,
 * through a fresh kafkajs transaction manager each time), replaced by a new one for a
 * partition whose sequence is in doubt. A new id starts every partition that takes it at
 * sequence 0, so nothing sent under the old one can be mistaken for it.
 */
export class IdempotentIdentity implements IdentitySource {
  readonly renewable = true
  readonly #grant: () => EngineEosManager
  readonly #log: (message: string, fields: Record<string, unknown>) => void
  #current: Identity | undefined
  #renewing: Promise<void> | undefined

  constructor(grant: () => EngineEosManager, log: (message: string, fields: Record<string, unknown>) => void = () => {}) {
    this.#grant = grant
    this.#log = log
  }

  current(): Identity | undefined {
    return this.#current
  }

  renew(stale: Identity | undefined): Promise<void> {
    if (this.#current !== stale) return Promise.resolve()
    this.#renewing ??= (async () => {
      try {
        const manager = this.#grant()
        try {
          await manager.initProducerId()
        } catch (error) {
          throw hasEngineErrorType(error, CLUSTER_REFUSED) ? producerIdRefused(error) : error
        }
        const replaced = this.#current
        this.#current = { producerId: manager.getProducerId(), epoch: manager.getProducerEpoch() }
        try {
          this.#log(`Producer id ${this.#current.producerId} (epoch ${this.#current.epoch}) granted${replaced === undefined ? '' : `, replacing ${replaced.producerId}`}`, {
          producerId: this.#current.producerId,
          producerEpoch: this.#current.epoch,
          })
        } catch {
          // A throwing logger does not make the producer id any less granted.
        }
      } finally {
        this.#renewing = undefined
      }
    })()
    return this.#renewing
  }

  onSequenceError(): 'renew' {
    return 'renew'
  }

  onBatchFailed(): void {}
}

const CLUSTER_REFUSED = new Set(['CLUSTER_AUTHORIZATION_FAILED'])

/**
 * The error of an idempotent producer the broker gives no producer id: `KAFKIT_AUTH`, never
 * retriable, `context.reason: 'authorization'` (a consumer's retry or dead-letter writer
 * waits for the ACL, see the consumer runtime), saying which ACL would do.
 */
function producerIdRefused(cause: unknown): KafkitError {
  return new KafkitError(
    'KAFKIT_AUTH',
    'not authorized to get a producer id (CLUSTER_AUTHORIZATION_FAILED): an idempotent producer needs one, and the broker grants it only to a principal with WRITE on some topic or IDEMPOTENT_WRITE on the cluster; ' +
      'this principal has neither (were its topic WRITE ACLs taken away?). Grant it WRITE on the topics it writes (an ACL, e.g. kafka-acls --add --allow-principal User:<name> --operation Write --topic <topic>)',
    { cause, retriable: false, context: { kafkaError: 'CLUSTER_AUTHORIZATION_FAILED', reason: 'authorization' } },
  )
}

/**
 * The identity of a transactional producer: the one its transactional id was registered
 * with. It never changes under a transaction: a sequence error or a failed batch makes the
 * transaction abort, and the producer registers its id again (a new epoch) before the next.
 */
export class TransactionalIdentity implements IdentitySource {
  readonly renewable = false
  readonly #identity: Identity
  #broken = false

  constructor(identity: Identity) {
    this.#identity = identity
  }

  /** Whether a batch failed: the transaction must abort and the producer register again. */
  get broken(): boolean {
    return this.#broken
  }

  current(): Identity {
    return this.#identity
  }

  renew(): Promise<void> {
    return Promise.resolve()
  }

  onSequenceError(): 'fail' {
    this.#broken = true
    return 'fail'
  }

  onBatchFailed(): void {
    this.#broken = true
  }
}
