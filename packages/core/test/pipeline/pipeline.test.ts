import { describe, expect, it } from 'vitest'
import { defineTopic } from '../../src/contract.js'
import { isKafkitError, KafkitError } from '../../src/errors.js'
import type { PipelineDeps, PipelineEngine } from '../../src/pipeline/engine.js'
import { KafkitPipeline } from '../../src/pipeline/pipeline.js'
import { string } from '../../src/serdes/string.js'
import { FakeBatch, FakeEngine, Gate, records, unhandledRejectionsDuring } from '../runtime/fake-engine.js'

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

  it('a fatal error whose stop then fails too still only rejects done: the failed stop is no unhandled rejection', async () => {
    const engine = new FakeEngine()
    const { pipeline, released } = pipelineOver(engine)
    await pipeline.start()
    // The engine's stop fails as well (kafkajs' leave with the coordinator gone).
    engine.stop = async () => {
      throw new KafkitError('KAFKIT_KAFKA', 'leave group failed: coordinator not available', { retriable: true })
    }
    const cause = new KafkitError('KAFKIT_AUTH', 'SASL authentication failed', { retriable: false })
    const unhandled = await unhandledRejectionsDuring(async () => {
      engine.emit('crash', cause, false)
      await expect(pipeline.done).rejects.toBe(cause)
    })
    expect(unhandled).toEqual([])
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

describe('KafkitPipeline after a failed commit', () => {
  /** A pipeline over fake deps whose commits and committed-offset reads answer as the test scripts them. */
  function scripted(script: { commits: (() => Promise<void>)[]; committedOffsets: (() => Promise<bigint | undefined>)[]; backoffMs?: number }) {
    const engine = new FakeEngine()
    const calls: string[] = []
    const transformed: string[] = []
    const deps: PipelineDeps = {
      createEngine: () => engine as unknown as PipelineEngine,
      createProducer: () => ({
        transactionalId: 't1',
        init: async () => void calls.push('init'),
        begin: async () => {
          calls.push('begin')
          return {
            send: async () => (calls.push('send'), []),
            sendOffsets: async (_groupId, offsets) => void calls.push(`sendOffsets ${offsets.map((o) => o.offset).join(',')}`),
            commit: async () => (calls.push('commit'), (script.commits.shift() ?? (async () => {}))()),
            abort: async () => void calls.push('abort'),
          }
        },
        reset: async () => {},
        disconnect: async () => {},
      }),
      committedOffset: async () => (calls.push('committedOffset'), (script.committedOffsets.shift() ?? (async () => undefined))()),
      topics: { ensureTopics: async () => {}, describe: async () => undefined },
      release: async () => {},
    }
    const pipeline = new KafkitPipeline(deps, {
      groupId: 'g1',
      transactionalId: 't1',
      shutdown: false,
      transactionRetry: { backoff: { initialMs: script.backoffMs ?? 1, maxMs: script.backoffMs ?? 1 } },
    })
      .from(In)
      .to(Out, ({ value }) => (transformed.push(value), { value }))
    return { pipeline, engine, calls, transformed }
  }

  it('a failed read of the committed offset is retried before anything runs again: the chunk whose commit did happen is not transformed or committed twice', async () => {
    const timeout = new KafkitError('KAFKIT_KAFKA', 'Request timed out', { retriable: true, context: { kafkaError: 'REQUEST_TIMED_OUT' } })
    const notCoordinator = new KafkitError('KAFKIT_KAFKA', 'not the coordinator', { retriable: true, context: { kafkaError: 'NOT_COORDINATOR' } })
    const { pipeline, engine, calls, transformed } = scripted({
      // The commit happens at the broker, but its answer is lost.
      commits: [() => Promise.reject(timeout)],
      // The first read of the group's offset after it fails, the next one sees the commit.
      committedOffsets: [() => Promise.reject(notCoordinator), async () => 2n],
    })
    const resumed: unknown[] = []
    pipeline.on('pipeline.resumed', (payload) => void resumed.push(payload))
    await pipeline.start()
    const batch = Object.assign(new FakeBatch('in', records('in', ['a', 'b'])), { nextOffset: '2' })
    await engine.eachBatch!(batch)
    expect(transformed).toEqual(['a', 'b'])
    expect(calls.filter((call) => call === 'begin' || call === 'commit')).toEqual(['begin', 'commit'])
    expect(calls.filter((call) => call === 'init' || call === 'committedOffset')).toEqual(['init', 'init', 'committedOffset', 'init', 'committedOffset'])
    expect(resumed).toEqual([{ groupId: 'g1', topic: 'in', partition: 0, committedOffset: '2' }])
    expect(batch.resolved).toEqual(['1'])
    await pipeline.stop()
  })

  it('once the committed offset is read, the part not committed runs again', async () => {
    const timeout = new KafkitError('KAFKIT_KAFKA', 'Request timed out', { retriable: true, context: { kafkaError: 'REQUEST_TIMED_OUT' } })
    const { pipeline, engine, calls, transformed } = scripted({ commits: [() => Promise.reject(timeout)], committedOffsets: [async () => undefined] })
    await pipeline.start()
    const batch = Object.assign(new FakeBatch('in', records('in', ['a', 'b'])), { nextOffset: '2' })
    await engine.eachBatch!(batch)
    expect(transformed).toEqual(['a', 'b', 'a', 'b'])
    expect(calls.filter((call) => call === 'commit')).toEqual(['commit', 'commit'])
    expect(batch.resolved).toEqual(['1'])
    await pipeline.stop()
  })

  it('stop() cuts a transaction retry backoff short: the batch ends before the engine stop waits for it', async () => {
    const timeout = new KafkitError('KAFKIT_KAFKA', 'Request timed out', { retriable: true, context: { kafkaError: 'REQUEST_TIMED_OUT' } })
    const { pipeline, engine, calls } = scripted({ commits: [() => Promise.reject(timeout)], committedOffsets: [], backoffMs: 60_000 })
    const backingOff = new Gate()
    pipeline.on('producer.txn.abort', (payload) => {
      if (payload.retryInMs !== undefined) backingOff.open()
    })
    await pipeline.start()
    let batchEnded = false
    const batchDone = engine.eachBatch!(Object.assign(new FakeBatch('in', records('in', ['a'])), { nextOffset: '1' })).finally(() => (batchEnded = true))
    await backingOff.promise
    // As kafkajs' stop: wait for the batch in flight (a few turns of the event loop, no clock).
    let endedWhenStopped: boolean | undefined
    engine.stop = async () => {
      for (let turn = 0; turn < 10 && !batchEnded; turn++) await new Promise((resolve) => setImmediate(resolve))
      endedWhenStopped = batchEnded
    }
    await pipeline.stop()
    await batchDone
    expect(endedWhenStopped).toBe(true)
    // Nothing was tried again after the stop began.
    expect(calls.filter((call) => call === 'init')).toEqual(['init'])
    await expect(pipeline.done).resolves.toBeUndefined()
  })
})
