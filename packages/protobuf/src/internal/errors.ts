import { KafkitError, type KafkitErrorContext, type SerdeContext } from '@kafkit/core'

/** The error context of a serde call: the topic always, partition/offset when consumed. */
export function contextOf(ctx: SerdeContext, extra: Record<string, unknown> = {}): KafkitErrorContext {
  const context: KafkitErrorContext = { topic: ctx.topic, field: ctx.field, ...extra }
  if (ctx.partition !== undefined) context.partition = ctx.partition
  if (ctx.offset !== undefined) context.offset = ctx.offset
  return context
}

/** Adds the topic to a registry error (the registry client does not know it). */
export function withTopic(error: unknown, ctx: SerdeContext, extra: Record<string, unknown>): unknown {
  if (error instanceof KafkitError) {
    return new KafkitError(error.code, `${error.message} (topic "${ctx.topic}", ${ctx.field})`, {
      cause: error.cause ?? error,
      retriable: error.retriable,
      context: { ...error.context, ...contextOf(ctx, extra) },
      issues: error.issues,
    })
  }
  return error
}
