/** Stable codes of the testkit's errors: each names one cause a person can act on. */
export const TestkitErrorCodes = [
  'TESTKIT_MISSING_TOOL',
  'TESTKIT_DOWNLOAD_FAILED',
  'TESTKIT_PORT_IN_USE',
  'TESTKIT_NOT_READY',
  'TESTKIT_PROCESS_EXITED',
  'TESTKIT_ENGINE_UNAVAILABLE',
  'TESTKIT_BAD_OPTIONS',
] as const

export type TestkitErrorCode = (typeof TestkitErrorCodes)[number]

/** The one error type the testkit throws; `message` says the cause and what to do. */
export class TestkitError extends Error {
  readonly code: TestkitErrorCode
  constructor(code: TestkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TestkitError'
    this.code = code
  }
}
