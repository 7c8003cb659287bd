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

const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'])

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
  // An aggregate (e.g. per-topic create errors) says little itself: name each part.
  const detail =
    parts.length > 0
      ? `: ${parts.map((part) => `${(part as { topic?: string }).topic ? `${(part as { topic?: string }).topic}: ` : ''}${part.message}`).join('; ')}`
      : inner !== engine && inner.message && inner.message !== engine.message
        ? ` (caused by: ${inner.message})`
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

/** kafkajs marks each error; an aggregate is retriable when all its parts are. */
function retriableOf(error: EngineErrorLike): boolean {
  if (typeof error.retriable === 'boolean') return error.retriable
  if (Array.isArray(error.errors) && error.errors.length > 0) {
    return error.errors.every((part) => typeof part === 'object' && part !== null && (part as EngineErrorLike).retriable === true)
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
