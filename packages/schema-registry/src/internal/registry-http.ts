import { KafkitError } from '@kafkit/core'

/** How to reach the registry; resolved from {@link SchemaRegistryOptions}. */
export interface HttpTarget {
  baseUrl: string
  headers: Record<string, string>
  requestTimeoutMs: number
}

/** A failed registry answer: HTTP status and the registry's own `error_code`. */
export interface RegistryFailure {
  status: number
  errorCode: number | undefined
  message: string
  /** The request that failed: its method and URL, credentials masked. */
  method: string
  url: string
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

/**
 * How a URL that does not point at the registry's API is told apart from the registry saying
 * "not found": the registry's own 404s carry an `error_code` of 404xx (40401 subject, 40402
 * version, 40403 schema not found…, the same on Confluent, Apicurio and Karapace); a wrong
 * base path gets a 404 without one (Apicurio: `error_code` 0 or 404), and an HTML page no
 * JSON at all.
 */
function isRegistryNotFound(errorCode: number | undefined): boolean {
  return errorCode !== undefined && errorCode >= 40400 && errorCode <= 40499
}

/**
 * The error for an answer that did not come from the registry's API (a wrong base path, a
 * web server or proxy page). Retriable: like an unreachable registry it says nothing about
 * the record being written or read, so a consumer holds the partition (and reports
 * `consumer.retry`) until the URL is fixed, rather than dead-lettering sound records.
 */
function notTheRegistry(method: string, url: string, status: number, what: string): KafkitError {
  return new KafkitError(
    'KAFKIT_REGISTRY',
    `Schema registry URL ${redact(url)} answered ${method} with HTTP ${status} and ${what}, not the registry's API: check SCHEMA_REGISTRY_URL (Apicurio: …/apis/ccompat/v7)`,
    { retriable: true, context: { url: redact(url), status } },
  )
}

/** Statuses worth retrying: the registry is busy, restarting or behind a failing proxy. */
function retriableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

/** 401: no or wrong credentials; 403: credentials the registry does not let do this. */
function refusesCredentials(status: number): boolean {
  return status === 401 || status === 403
}

/**
 * The error for a registry that refuses the client's credentials: `KAFKIT_REGISTRY` with
 * `context.reason: 'credentials'`, retriable. Wrong or expired credentials (or a role
 * missing) say nothing about the record being written or read: a consumer holds its
 * partitions (and reports `consumer.retry`) until they are fixed, rather than
 * dead-lettering a whole topic of sound records over a configuration problem.
 */
function credentialsRefused(what: string, failure: RegistryFailure, context: Record<string, unknown>): KafkitError {
  const refusal = failure.status === 401 ? 'unauthorized' : 'forbidden'
  // request() masks the URL already; masked again here because this message is about
  // credentials, and a failure may come from elsewhere (a test, a later caller).
  const url = redact(failure.url)
  return new KafkitError(
    'KAFKIT_REGISTRY',
    `Schema registry refused ${failure.method} ${url} with HTTP ${failure.status} (${refusal}) when trying to ${what}: check the registry credentials (SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD, or the auth option or authorization header; for a 403, also the user's role in the registry)`,
    {
      retriable: true,
      context: { ...context, reason: 'credentials', url, status: failure.status, registryErrorCode: failure.errorCode },
    },
  )
}

/**
 * One request to the Confluent-compatible API. Returns the parsed body, or a
 * {@link RegistryFailure} for an HTTP error so callers can map known codes (404/40401…)
 * themselves (a 404 returned here is always the registry's own, with a 404xx code); throws
 * `KAFKIT_REGISTRY` (retriable) when the registry cannot be reached or the URL does not
 * point at its API.
 */
export async function request<T>(
  target: HttpTarget,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ ok: true; value: T } | { ok: false; failure: RegistryFailure }> {
  const url = target.baseUrl + path
  let response: Response
  try {
    response = await fetch(url, {
      method,
      headers: { accept: `${CONTENT_TYPE}, application/json`, ...(body === undefined ? {} : { 'content-type': CONTENT_TYPE }), ...target.headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(target.requestTimeoutMs),
    })
  } catch (error) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name
    throw new KafkitError('KAFKIT_REGISTRY', `Schema registry unreachable (${method} ${redact(url)}): ${reason}`, {
      cause: error,
      retriable: true,
      context: { url: redact(url) },
    })
  }
  // The answer can still fail after its headers (a reset, a proxy giving up, a timeout):
  // that is the registry's transport failing, retriable like an unreachable registry, never
  // a property of the record being decoded.
  let text: string
  try {
    text = await response.text()
  } catch (error) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message ?? (error as Error).name
    throw new KafkitError('KAFKIT_REGISTRY', `Schema registry answer broke off (${method} ${redact(url)}, HTTP ${response.status}): ${reason}`, {
      cause: error,
      retriable: true,
      context: { url: redact(url), status: response.status },
    })
  }
  let parsed: unknown
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
    if (response.ok) {
      // A JSON answer cut short is the transport's fault; an HTML page or other non-JSON
      // content is a URL that does not point at a registry. Both are retriable: neither is
      // the record's fault (see notTheRegistry).
      const type = response.headers.get('content-type') ?? ''
      if (type !== '' && !/json/i.test(type)) throw notTheRegistry(method, url, response.status, type)
      throw new KafkitError('KAFKIT_REGISTRY', `Schema registry answered ${method} ${redact(url)} with HTTP ${response.status} and a JSON body that does not parse (${text.length} bytes, cut short?)`, {
        retriable: true,
        context: { url: redact(url), status: response.status },
      })
    }
  }
  if (response.ok) return { ok: true, value: parsed as T }
  const data = (parsed ?? {}) as { error_code?: unknown; message?: unknown }
  const errorCode = typeof data.error_code === 'number' ? data.error_code : undefined
  if (response.status === 404 && !isRegistryNotFound(errorCode)) {
    throw notTheRegistry(method, url, 404, errorCode === undefined ? 'no registry error code' : `error code ${errorCode}`)
  }
  return {
    ok: false,
    failure: {
      status: response.status,
      errorCode,
      message: typeof data.message === 'string' ? data.message : text.slice(0, 500) || response.statusText,
      method,
      url: redact(url),
    },
  }
}

/**
 * The error for a failed answer the caller has no meaning for: `KAFKIT_REGISTRY`, retriable
 * for a busy or failing registry (408, 429, 5xx) and for refused credentials (401, 403, with
 * `context.reason: 'credentials'`), not for the rest (a 400, a 422: the request itself is wrong).
 */
export function registryError(what: string, failure: RegistryFailure, context: Record<string, unknown>): KafkitError {
  if (refusesCredentials(failure.status)) return credentialsRefused(what, failure, context)
  return new KafkitError(
    'KAFKIT_REGISTRY',
    `Schema registry failed to ${what}: HTTP ${failure.status}${failure.errorCode === undefined ? '' : ` (error ${failure.errorCode})`}: ${failure.message}`,
    { retriable: retriableStatus(failure.status), context: { ...context, status: failure.status, registryErrorCode: failure.errorCode } },
  )
}

/**
 * Removes credentials from a URL before it goes into a message. Also for malformed URLs
 * (a bad scheme, no `//`, a raw `@` or `/` in the password): everything up to the last
 * `@` after the scheme is masked, so a secret is never shown, at worst more than it.
 */
export function redact(url: string): string {
  const at = url.lastIndexOf('@')
  if (at < 0) return url
  const slashes = url.indexOf('//')
  const from = slashes >= 0 && slashes < at ? slashes + 2 : 0
  return `${url.slice(0, from)}***${url.slice(at)}`
}
