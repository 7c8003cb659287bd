const CENSOR = '[redacted]'

/**
 * A function that replaces every occurrence of the given secrets in a string, or in the
 * strings of an object (a few levels deep), with `[redacted]`. The identity when there
 * are no secrets, so the common case costs nothing.
 */
export function scrubber(secrets: readonly string[]): <T>(value: T) => T {
  // Very short values would blank out ordinary words; nobody's password is 3 characters long.
  const list = secrets.filter((secret) => secret.length >= 4)
  if (list.length === 0) return (value) => value
  const scrubText = (text: string): string => {
    let out = text
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join(CENSOR)
    return out
  }
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return scrubText(value)
    if (depth > 4 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1))
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = scrub(item, depth + 1)
    return out
  }
  return <T>(value: T) => scrub(value, 0) as T
}
