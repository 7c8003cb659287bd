import { describe, expect, it } from 'vitest'
import { defineTopic } from '../../src/contract.js'
import { isKafkitError } from '../../src/errors.js'
import type { PipelineDeps, PipelineEngine } from '../../src/pipeline/engine.js'
import { KafkitPipeline } from '../../src/pipeline/pipeline.js'
import { string } from '../../src/serdes/string.js'
import { FakeEngine, Gate } from '../consumer/fake-engine.js'

// The pipeline's start/stop life over fake deps in kafkit's terms (the consumer shares the
// same lifecycle): a stop during start() and a failed start() leave nothing connected.

const In = defineTopic({ name: 'in', value: string() })
const Out = defineTopic({ name: 'out', value: string() })

function pipelineOver(engine: FakeEngine, init: () => Promise<void> = async () => {}) {
  const calls: string[] = []
  let released = 0
  const deps: PipelineDeps = {
    createEngine: () => engine as unknown as PipelineEngine,
    createProducer: () => ({
      transactionalId: 't1',
      init: async () => (calls.push('producer.init'), init()),
      begin: () => Promise.reject(new Error('unused')),
      reset: async () => {},
      disconnect: async () => void calls.push('producer.disconnect'),
    }),
    committedOffset: async () => undefined,
    topics: { ensureTopics: async () => {}, describe: async () => undefined },
    release: async () => void released++,
  }
  const pipeline = new KafkitPipeline(deps, { groupId: 'g1', transactionalId: 't1', shutdown: false }).from(In).to(Out, ({ value }) => ({ value }))
  return { pipeline, calls, released: () => released }
}

describe('KafkitPipeline lifecycle', () => {
  it('stop() while the transactional id registers: the start gives up before joining the group; done resolves', async () => {
    const engine = new FakeEngine()
    const init = new Gate()
    const { pipeline, calls, released } = pipelineOver(engine, () => init.promise)
    const starting = pipeline.start()
    while (!calls.includes('producer.init')) await new Promise((r) => setImmediate(r))
    const stopping = pipeline.stop()
    init.open()
    await expect(starting).rejects.toSatisfy((e) => isKafkitError(e) && e.code === 'KAFKIT_ABORTED')
    await stopping
    await pipeline.done
    expect(engine.calls).toEqual([])
    expect(calls).toEqual(['producer.init', 'producer.disconnect'])
    expect(released()).toBe(1)
  })

  it('a start() that fails disconnects the engine and the producer, and rejects done', async () => {
    const engine = new FakeEngine()
    engine.failures.connect = new Error('connect failed')
    const { pipeline, calls, released } = pipelineOver(engine)
    await expect(pipeline.start()).rejects.toThrow('connect failed')
    await expect(pipeline.done).rejects.toThrow('connect failed')
    expect(engine.calls).toEqual(['connect', 'disconnect'])
    expect(calls).toEqual(['producer.init', 'producer.disconnect'])
    await pipeline.stop()
    expect(released()).toBe(1)
  })

  it('a second start() is refused without ending the running pipeline', async () => {
    const engine = new FakeEngine()
    const { pipeline } = pipelineOver(engine)
    await pipeline.start()
    await expect(pipeline.start()).rejects.toThrow(/start\(\) called on a running pipeline/)
    await pipeline.stop()
    await expect(pipeline.done).resolves.toBeUndefined()
  })
})
