import { KafkitError, type KafkitErrorCode, type KafkitErrorContext, isKafkitError } from '../../errors.js'

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
}

// Not TRANSACTIONAL_ID_AUTHORIZATION_FAILED: that is a missing ACL (KAFKIT_AUTH), not another instance.
const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'])

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
  const code: KafkitErrorCode = type !== undefined && FENCED.has(type) ? 'KAFKIT_PRODUCER_FENCED' : 'KAFKIT_KAFKA'
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
        : isClosedConnection(inner)
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

function isClosedConnection(error: EngineErrorLike): boolean {
  return error.name === 'KafkaJSConnectionClosedError' || error.message === 'Closed connection'
}
