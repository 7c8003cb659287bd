/** The version of `@kafkit/core` that instrumentation scopes (meter, tracer) report. */
export const VERSION = '0.1.0'
