import type { KafkitIssue } from '../errors.js'

/** The shape of a zod (v4) issue that kafkit reads. */
interface ZodIssueLike {
  readonly path: readonly PropertyKey[]
  readonly message: string
  readonly code?: string
}

/** Zod issues as {@link KafkitIssue}s; symbol path segments become their description. */
export function fromZodIssues(issues: readonly ZodIssueLike[], prefix: readonly (string | number)[] = []): KafkitIssue[] {
  return issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment.description) : segment))],
    message: issue.message,
    ...(issue.code === undefined ? {} : { code: issue.code }),
  }))
}

/** `a.b[0]: message; c: message`, for error messages that name each path. */
export function formatIssues(issues: readonly KafkitIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text === '' ? segment : `${text}.${segment}`),
        '',
      )
      return path === '' ? issue.message : `${path}: ${issue.message}`
    })
    .join('; ')
}
