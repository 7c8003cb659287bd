import { describe, expectTypeOf, it } from 'vitest'
import type { DeadLetterTopic, EngineLogLine, KafkitConsumer } from '../src/index.js'
import { engineLineLevel } from '../src/index.js'

// The public API names no engine (kafkajs) or internal transport type, and exposes no
// internals of its classes.

describe('public API', () => {
  it('judges engine log lines by an engine-neutral type of its own', () => {
    expectTypeOf(engineLineLevel).parameter(0).toEqualTypeOf<EngineLogLine>()
  })

  it('does not export the internal transport log entry', () => {
    // @ts-expect-error LogEntry belongs to the internal transport
    type _ = import('../src/index.js').LogEntry
  })

  it('exposes the dead-letter topic name, not its dependencies', () => {
    expectTypeOf<DeadLetterTopic>().toHaveProperty('topic')
    // @ts-expect-error no `deps` member, private or not
    type _ = DeadLetterTopic['deps']
    expectTypeOf<KafkitConsumer>().toHaveProperty('done')
  })
})
