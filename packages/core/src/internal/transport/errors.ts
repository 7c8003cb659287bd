import { KafkitError, type KafkitErrorCode, type KafkitErrorContext, isKafkitError } from '../../errors.js'
import { closedBeforeAnswering } from './connection-watch.js'

/** The fields of an engine (kafkajs) error that kafkit reads. Duck-typed: no engine import. */
interface EngineErrorLike {
  name?: string
  message?: string
  retriable?: boolean
  /** Kafka protocol error name, e.g. `UNKNOWN_TOPIC_OR_PARTITION`. */
  type?: string
  /** Kafka protocol error code. */
  code?: number
  errors?: unknown[]
  cause?: unknown
  originalError?: unknown
  /** The broker of a closed connection (KafkaJSConnectionClosedError). */
  host?: string
  port?: number
}

/**
 * The Kafka protocol errors that mean a transactional producer's epoch is no longer the
 * current one, by name with their code: another instance registered its transactional id
 * (or the broker expired the transaction). Brokers answer PRODUCER_FENCED to current
 * request versions and INVALID_PRODUCER_EPOCH to the older ones kafkajs speaks (and to
 * every Produce); kafkajs 2.2.4 does not know code 90 at all. Not
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED: that is a missing ACL (KAFKIT_AUTH), not another instance.
 * @internal
 */
export const FENCING_ERRORS: ReadonlyMap<string, number> = new Map([
  ['INVALID_PRODUCER_EPOCH', 47],
  ['PRODUCER_FENCED', 90],
])
const FENCING_CODES = new Set(FENCING_ERRORS.values())

/**
 * Whether an error says the producer was fenced: a `KAFKIT_PRODUCER_FENCED` KafkitError, or
 * a fencing protocol error (by name or by code, see {@link FENCING_ERRORS}) anywhere in its
 * cause chain or among an aggregate's parts, whatever wrapped it on the way (kafkajs' retry
 * wrappers, kafkit's delivery report, a replay's batch error). The one test of fencing:
 * the transport, the transaction runner, the pipeline and the replays all ask it.
 * @internal
 */
export function isFencing(error: unknown): boolean {
  return someLink(error, (link) => {
    if (isKafkitError(link)) return link.code === 'KAFKIT_PRODUCER_FENCED' || link.context.fenced === true || (typeof link.context.kafkaError === 'string' && FENCING_ERRORS.has(link.context.kafkaError))
    // kafkajs names a code it does not know KAFKAJS_UNKNOWN_ERROR_CODE; kafkit's own answers keep the code.
    const engine = link as EngineErrorLike
    return (engine.type !== undefined && FENCING_ERRORS.has(engine.type)) || (typeof engine.code === 'number' && FENCING_CODES.has(engine.code))
  })
}

/**
 * Whether a protocol error named in `types` is anywhere in `error`'s chain: once kafkajs'
 * retries give up, its wrapper (KafkaJSNumberOfRetriesExceeded) has no `type` of its own and
 * keeps the protocol error in `cause`.
 * @internal
 */
export function hasEngineErrorType(error: unknown, types: ReadonlySet<string>): boolean {
  return someLink(error, (link) => {
    const type = isKafkitError(link) ? undefined : (link as EngineErrorLike).type
    return type !== undefined && types.has(type)
  })
}

/**
 * Whether `test` holds for `error` or a link of its chain: its `cause` or `originalError`
 * (kafkajs' wrappers), or a part of an aggregate (`errors`), at most ten links deep.
 * @internal
 */
export function someLink(error: unknown, test: (link: object) => boolean): boolean {
  const seen = new Set<unknown>()
  const visit = (link: unknown, depth: number): boolean => {
    if (typeof link !== 'object' || link === null || depth > 10 || seen.has(link)) return false
    seen.add(link)
    const engine = link as EngineErrorLike
    if (test(engine)) return true
    if (!isKafkitError(link) && Array.isArray(engine.errors) && engine.errors.some((part) => visit(part, depth + 1))) return true
    return visit(engine.cause ?? engine.originalError, depth + 1)
  }
  return visit(error, 0)
}

/**
 * A failure that does not say fenced (a request lost, an unexpected server error, an invalid
 * transaction state) seen in the light of the abort of the same epoch that followed it: when
 * the coordinator refused that abort as fenced, another instance had taken the id over and
 * the failure was that. Then `KAFKIT_PRODUCER_FENCED`, not retriable, its cause the failure
 * and the abort's protocol error in `context.kafkaError`; otherwise the failure as it is.
 * @internal
 */
export function fencingShownBy(failure: unknown, abortFailure: unknown, context: KafkitErrorContext = {}): unknown {
  if (isFencing(failure) || !isFencing(abortFailure)) return failure
  const engine = toKafkitError(failure, context)
  const evidence = toKafkitError(abortFailure, context, 'Abort transaction')
  return new KafkitError('KAFKIT_PRODUCER_FENCED', `${engine.message}; fenced: the abort of its epoch that followed was refused: ${evidence.message}`, {
    cause: failure,
    retriable: false,
    context: { ...engine.context, ...context, ...(evidence.context.kafkaError === undefined ? {} : { kafkaError: evidence.context.kafkaError }) },
  })
}

/**
 * Wraps an engine error in a {@link KafkitError} (`KAFKIT_KAFKA`, or
 * `KAFKIT_PRODUCER_FENCED`), keeping it as `cause` and keeping its retriable verdict.
 * KafkitErrors pass through unchanged.
 */
export function toKafkitError(error: unknown, context: KafkitErrorContext = {}, action = 'Kafka operation'): KafkitError {
  if (isKafkitError(error)) return error
  const engine = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as EngineErrorLike
  const inner = innermost(engine)
  const parts = Array.isArray(engine.errors) ? (engine.errors.filter((part) => typeof part === 'object' && part !== null) as EngineErrorLike[]) : []
  const partTypes = new Set(parts.map((part) => part.type))
  const type = engine.type ?? inner.type ?? (partTypes.size === 1 ? [...partTypes][0] : undefined)
  const code: KafkitErrorCode = isFencing(engine) ? 'KAFKIT_PRODUCER_FENCED' : 'KAFKIT_KAFKA'
  const security = securityProblem(engine, inner, type)
  if (security !== undefined) {
    return new KafkitError('KAFKIT_AUTH', `${action} failed: ${security}`, {
      cause: error,
      retriable: false,
      context: { ...context, ...(engine.name === undefined ? {} : { engineError: engine.name }), ...(type === undefined ? {} : { kafkaError: type }) },
    })
  }
  // An aggregate (e.g. per-topic create errors) says little itself: name each part.
  const detail =
    parts.length > 0
      ? `: ${parts.map((part) => `${(part as { topic?: string }).topic ? `${(part as { topic?: string }).topic}: ` : ''}${part.message}`).join('; ')}`
      : inner !== engine && inner.message && inner.message !== engine.message
        ? ` (caused by: ${inner.message})`
        : closedAtHandshake(inner)
          ? ' (the broker closed the connection before answering: a client without TLS on a TLS listener, or without SASL on a SASL listener, sees exactly this; check ssl/KAFKA_SSL and sasl/KAFKA_SASL_MECHANISM)'
          : ''
  return new KafkitError(code, `${action} failed: ${engine.message ?? 'unknown error'}${detail}`, {
    cause: error,
    retriable: code === 'KAFKIT_PRODUCER_FENCED' ? false : retriableOf(engine),
    context: {
      ...context,
      ...(engine.name === undefined ? {} : { engineError: engine.name }),
      ...(type === undefined ? {} : { kafkaError: type }),
    },
  })
}

/**
 * The verdict of the innermost error in the cause chain that has one. kafkajs marks each
 * error, but its wrappers say nothing about the failure itself: `KafkaJSNumberOfRetriesExceeded`
 * (always `retriable: false`) only means kafkajs stopped trying a failure that may well be
 * transient (a broker restarting), so its cause decides. An aggregate is retriable when
 * all its parts are.
 */
function retriableOf(error: EngineErrorLike): boolean {
  const chain: EngineErrorLike[] = [error]
  for (let current = error; chain.length < 10; ) {
    const next = current.cause ?? current.originalError
    if (typeof next !== 'object' || next === null) break
    chain.push((current = next as EngineErrorLike))
  }
  for (const link of chain.reverse()) {
    if (typeof link.retriable === 'boolean') return link.retriable
    // kafkajs' plain Error of a request on a connection that is gone or never came up.
    if (link.message === 'Broker not connected') return true
    if (Array.isArray(link.errors) && link.errors.length > 0) {
      return link.errors.every((part) => typeof part === 'object' && part !== null && (part as EngineErrorLike).retriable === true)
    }
  }
  return false
}

/** The root cause of a chain of retries (kafkajs keeps it in `cause` or `originalError`). */
function innermost(error: EngineErrorLike): EngineErrorLike {
  let current = error
  for (let depth = 0; depth < 10; depth++) {
    const next = current.cause ?? current.originalError
    if (typeof next !== 'object' || next === null) break
    current = next as EngineErrorLike
  }
  return current
}

// Node's TLS verification codes and OpenSSL's handshake texts: a trust or protocol mismatch, which no retry fixes.
const TLS_FAILURE = /certificate|self[- ]signed|CERT_|ERR_TLS|SSL routines|wrong version number|handshake/i

/**
 * A clear sentence for a failure no retry can fix: wrong SASL credentials or mechanism, a
 * missing ACL, a broker certificate the client does not trust. Undefined for anything else.
 * Never quotes credentials (engine messages do not contain them).
 */
function securityProblem(engine: EngineErrorLike, inner: EngineErrorLike, type: string | undefined): string | undefined {
  if (inner.name === 'KafkaJSSASLAuthenticationError' || engine.name === 'KafkaJSSASLAuthenticationError' || type === 'SASL_AUTHENTICATION_FAILED') {
    return `SASL authentication failed: ${inner.message ?? engine.message}. Check the username and password (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD) and that the broker has this user for the mechanism (KAFKA_SASL_MECHANISM)`
  }
  if (type === 'UNSUPPORTED_SASL_MECHANISM' || type === 'ILLEGAL_SASL_STATE') {
    return `SASL handshake failed (${type}): ${inner.message ?? engine.message}. The broker does not offer this mechanism on this listener`
  }
  if (type !== undefined && type.endsWith('_AUTHORIZATION_FAILED')) {
    return `not authorized (${type}): ${inner.message ?? engine.message}. The principal lacks an ACL for this operation`
  }
  const text = `${inner.message ?? ''} ${engine.message ?? ''}`
  if ((inner.name === 'KafkaJSConnectionError' || engine.name === 'KafkaJSNumberOfRetriesExceeded') && TLS_FAILURE.test(text)) {
    return `TLS handshake failed: ${inner.message ?? engine.message}. Check that the CA (ssl.ca, KAFKA_SSL_CA) signed the broker's certificate, that the broker's host name is in it, and that the port is a TLS listener`
  }
  return undefined
}

/**
 * Whether the broker closed the connection where a TLS or SASL mismatch closes it: before
 * answering anything past the version handshake (see connection-watch.ts), or during SASL
 * authentication. Not a broker closing an established connection later (a restart, its
 * idle timeout): no hint there.
 */
function closedAtHandshake(error: EngineErrorLike): boolean {
  if (error.name === 'KafkaJSConnectionError' && error.message === 'Connection closed by the server') return true
  return error.name === 'KafkaJSConnectionClosedError' && closedBeforeAnswering(error.host, error.port)
}
