import { describe, expect, it } from 'vitest'
import { defineTopic } from '../../src/contract.js'
import { KafkitError } from '../../src/errors.js'
import { processBatch } from '../../src/runtime/batch.js'
import type { Serde } from '../../src/serde.js'
import { contextOf, FakeBatch, FakeSender, Gate, records, routeOf } from './fake-engine.js'

// The at-least-once core, driven through kafkit's own EngineBatch: an offset is resolved
// only after its message was handled or its copy acknowledged elsewhere.

const fast = { retry: { attempts: 2, backoff: { initialMs: 1, maxMs: 2 } } }

/** A text serde whose decode fails with `error` for the first `failures` calls. */
function flakySerde(failures: number, error: () => unknown): Serde<string> & { calls: number } {
  return {
    format: 'flaky',
    calls: 0,
    encode: (value) => Buffer.from(value),
    decode(bytes) {
      this.calls++
      if (this.calls <= failures) throw error()
      return bytes.toString()
    },
  }
}

const registryDown = () => new KafkitError('KAFKIT_REGISTRY', 'Schema registry unreachable (GET /schemas/ids/1): ECONNREFUSED', { retriable: true })

describe('decode failures', () => {
  it('holds the partition while the registry is unreachable, then handles the message: no dead letter', async () => {
    // More failures than retry.attempts: a registry outage is not the message's fault.
    const serde = flakySerde(5, registryDown)
    const contract = defineTopic({ name: 'orders', value: serde })
    const handled: string[] = []
    const sender = new FakeSender()
    const batch = new FakeBatch('orders', records('orders', ['a', 'b']))
    const ctx = contextOf(sender)
    await processBatch(batch, routeOf(contract, ({ value }) => void handled.push(value as string), fast), ctx)
    expect(sender.attempts).toEqual([])
    expect(handled).toEqual(['a', 'b'])
    expect(batch.resolved.at(-1)).toBe('1')
    expect(ctx.log.filter((e) => e.name === 'consumer.poison')).toEqual([])
    expect(ctx.log.filter((e) => e.name === 'consumer.retry').map((e) => (e.payload as { errorCode: string }).errorCode)).toEqual(Array(5).fill('KAFKIT_REGISTRY'))
  })

  it('leaves a record held by a registry outage unresolved when the consumer stops', async () => {
    const contract = defineTopic({ name: 'orders', value: flakySerde(Number.POSITIVE_INFINITY, registryDown) })
    let stopping = false
    const sender = new FakeSender()
    const batch = new FakeBatch('orders', records('orders', ['a']))
    const ctx = contextOf(sender, { isStopping: () => stopping })
    ctx.events.on('consumer.retry', (e) => void (e.attempt >= 3 && (stopping = true)))
    await processBatch(batch, routeOf(contract, () => {}, fast), ctx)
    expect(batch.resolved).toEqual([])
    expect(sender.attempts).toEqual([])
  })

  it('still sends poison (bytes that never decode) to the dead-letter topic at once', async () => {
    const contract = defineTopic({ name: 'orders', value: flakySerde(1, () => new KafkitError('KAFKIT_SERDE_DECODE', 'invalid JSON')) })
    const sender = new FakeSender()
    const batch = new FakeBatch('orders', records('orders', ['bad', 'good']))
    const ctx = contextOf(sender)
    const handled: unknown[] = []
    await processBatch(batch, routeOf(contract, ({ value }) => void handled.push(value), fast), ctx)
    expect(sender.sent.map((w) => w.map((r) => [r.topic, r.value?.toString()]))).toEqual([[['orders.dlq', 'bad']]])
    expect(handled).toEqual(['good'])
    expect(batch.resolved.at(-1)).toBe('1')
    expect(ctx.log.filter((e) => e.name === 'consumer.retry')).toEqual([])
  })

  it('dead-letters a non-retriable decode failure that is not poison without calling it poison', async () => {
    const contract = defineTopic({ name: 'orders', value: flakySerde(1, () => new KafkitError('KAFKIT_REGISTRY', 'Schema registry failed to fetch schema id 1: HTTP 400: bad request', { retriable: false })) })
    const sender = new FakeSender()
    const batch = new FakeBatch('orders', records('orders', ['a']))
    const ctx = contextOf(sender)
    await processBatch(batch, routeOf(contract, () => {}, fast), ctx)
    expect(sender.sent.flat().map((r) => r.headers['kafkit-error-code'])).toEqual(['KAFKIT_REGISTRY'])
    expect(ctx.log.filter((e) => e.name === 'consumer.poison')).toEqual([])
  })
})

describe('retry topics', () => {
  it('skips a retry-topic record another consumer group failed (a shared, custom-named retry topic)', async () => {
    const contract = defineTopic({ name: 'orders', value: flakySerde(0, registryDown) })
    const handled: unknown[] = []
    const raw = records('orders.retry.10s', ['theirs', 'ours'])
    raw[0]!.headers = { 'kafkit-original-group': 'analytics', 'kafkit-retry-due-at': '0' }
    raw[1]!.headers = { 'kafkit-original-group': 'g1', 'kafkit-retry-due-at': '0' }
    const batch = new FakeBatch('orders.retry.10s', raw)
    const ctx = contextOf(new FakeSender())
    await processBatch(batch, routeOf(contract, ({ value }) => void handled.push(value), fast, 0), ctx)
    expect(handled).toEqual(['ours'])
    expect(batch.resolved.at(-1)).toBe('1')
    expect(ctx.log.filter((e) => e.name === 'consumer.skipped').map((e) => (e.payload as { reason: string }).reason)).toEqual(['retry-for-other-group'])
  })
})

describe('dead-letter and retry-topic writes the broker refuses', () => {
  const tooLarge = () => new KafkitError('KAFKIT_KAFKA', 'Send failed: The request included a message larger than the max message size the server will accept', { retriable: false })
  const failing = (error: Error) => {
    throw error
  }

  it('tries once more without the stack and long message, and resolves once that write is acknowledged', async () => {
    const contract = defineTopic({ name: 'orders', value: flakySerde(0, registryDown) })
    const sender = new FakeSender()
    sender.auto = (records) => (records.some((r) => r.headers['kafkit-error-stack'] !== undefined) ? tooLarge() : undefined)
    const batch = new FakeBatch('orders', records('orders', ['a']))
    const ctx = contextOf(sender)
    await processBatch(batch, routeOf(contract, () => failing(new Error('x'.repeat(5_000))), { retry: false }), ctx)
    expect(sender.attempts).toHaveLength(2)
    const [written] = sender.sent.flat()
    expect(written?.headers['kafkit-error-stack']).toBeUndefined()
    expect(written?.headers).toMatchObject({ 'kafkit-original-offset': '0', 'kafkit-original-group': 'g1', 'kafkit-error-code': 'KAFKIT_HANDLER' })
    expect(String(written?.headers['kafkit-error-message']).length).toBeLessThanOrEqual(200)
    expect(batch.resolved).toEqual(['0'])
  })

  it('fails the consumer, naming topic, partition and offset, when the write can never succeed; the offset stays', async () => {
    const contract = defineTopic({ name: 'orders', value: flakySerde(0, registryDown) })
    const sender = new FakeSender()
    sender.auto = tooLarge
    const batch = new FakeBatch('orders', records('orders', ['a', 'b'], 5))
    const ctx = contextOf(sender)
    const handled: unknown[] = []
    await processBatch(batch, routeOf(contract, ({ value }) => {
      handled.push(value)
      failing(new KafkitError('KAFKIT_HANDLER', 'no such user', { retriable: false }))
    }), ctx)
    expect(sender.attempts).toHaveLength(2)
    expect(batch.resolved).toEqual([])
    expect(handled).toEqual(['a'])
    const failures = ctx.log.filter((e) => e.name === ('fail' as never)).map((e) => e.payload as KafkitError)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ code: 'KAFKIT_KAFKA', retriable: false, context: { topic: 'orders', partition: 0, offset: '5', target: 'orders.dlq' } })
    expect(failures[0]?.message).toMatch(/orders\[0\]@5 to orders\.dlq/)
  })
})

describe('dead-letter and retry-topic writes refused for a missing ACL (the real broker: test/integration/consumer-dead-letter-authorization.int.test.ts)', () => {
  const refused = (topic: string) => new KafkitError('KAFKIT_AUTH', `not authorized to write to topic '${topic}' (TOPIC_AUTHORIZATION_FAILED)`, { retriable: false, context: { topic, reason: 'authorization' } })
  const failing = (error: Error) => {
    throw error
  }

  it('holds the partition, trying the write again with the route backoff and the full record, until it is acknowledged; the handler runs once', async () => {
    const contract = defineTopic({ name: 'orders', value: flakySerde(0, registryDown) })
    const sender = new FakeSender()
    sender.auto = (records, attempt) => (attempt <= 4 ? refused(records[0]!.topic) : undefined)
    const batch = new FakeBatch('orders', records('orders', ['a', 'b'], 5))
    const ctx = contextOf(sender)
    const handled: unknown[] = []
    await processBatch(batch, routeOf(contract, ({ value }) => {
      handled.push(value)
      if (value === 'a') failing(new KafkitError('KAFKIT_HANDLER', 'no such user', { retriable: false }))
    }, fast), ctx)
    expect(handled).toEqual(['a', 'b'])
    expect(sender.attempts).toHaveLength(5)
    // Never stripped: the record the ACL let through is the whole dead letter.
    expect(sender.sent.flat().map((r) => [r.topic, r.headers['kafkit-original-offset'], r.headers['kafkit-error-stack'] !== undefined])).toEqual([['orders.dlq', '5', true]])
    expect(batch.resolved.at(-1)).toBe('6')
    expect(ctx.log.filter((e) => e.name === ('fail' as never))).toEqual([])
    const failed = ctx.log.filter((e) => e.name === 'consumer.write-failed').map((e) => e.payload as { topic: string; held: unknown; errorCode: string; errorReason: string; retryInMs: number })
    expect(failed).toHaveLength(4)
    for (const e of failed) {
      expect(e).toMatchObject({ topic: 'orders.dlq', held: { topic: 'orders', partition: 0, offset: '5' }, errorCode: 'KAFKIT_AUTH', errorReason: 'authorization' })
      expect(e.retryInMs).toBeLessThanOrEqual(2)
    }
  })

  it('holds a retry-topic write the same way', async () => {
    const contract = defineTopic({ name: 'orders', value: flakySerde(0, registryDown) })
    const sender = new FakeSender()
    sender.auto = (records, attempt) => (attempt <= 2 ? refused(records[0]!.topic) : undefined)
    const batch = new FakeBatch('orders', records('orders', ['a']))
    const ctx = contextOf(sender)
    await processBatch(batch, routeOf(contract, () => failing(new Error('flaky')), { retry: { attempts: 0, backoff: { initialMs: 1, maxMs: 2 } }, retryTopics: ['10s'] }), ctx)
    expect(sender.attempts.map((w) => w[0]!.topic)).toEqual(Array(3).fill('orders.g1.retry.10s'))
    expect(sender.sent).toHaveLength(1)
    expect(batch.resolved).toEqual(['0'])
    expect(ctx.log.filter((e) => e.name === 'consumer.write-failed').map((e) => (e.payload as { errorReason: string }).errorReason)).toEqual(['authorization', 'authorization'])
  })

  it('leaves the record unresolved, without failing the consumer, when it stops during the hold', async () => {
    const contract = defineTopic({ name: 'orders', value: flakySerde(0, registryDown) })
    let stopping = false
    const sender = new FakeSender()
    sender.auto = (records) => refused(records[0]!.topic)
    const batch = new FakeBatch('orders', records('orders', ['a', 'b']))
    const ctx = contextOf(sender, { isStopping: () => stopping })
    ctx.events.on('consumer.write-failed', () => void (sender.attempts.length >= 3 && (stopping = true)))
    await processBatch(batch, routeOf(contract, () => failing(new KafkitError('KAFKIT_HANDLER', 'no', { retriable: false })), fast), ctx)
    expect(sender.attempts).toHaveLength(3)
    expect(batch.resolved).toEqual([])
    expect(ctx.log.filter((e) => e.name === ('fail' as never))).toEqual([])
  })
})

describe('at least once: what resolveOffset may cover', () => {
  const text = defineTopic({ name: 'orders', value: flakySerde(0, registryDown) })
  const tick = () => new Promise((resolve) => setImmediate(resolve))

  it('resolves a message only after its handler finished, in order', async () => {
    const gates = [new Gate(), new Gate()]
    const batch = new FakeBatch('orders', records('orders', ['a', 'b']))
    let calls = 0
    const done = processBatch(batch, routeOf(text, () => gates[calls++]!.promise), contextOf(new FakeSender()))
    await tick()
    expect(batch.resolved).toEqual([])
    gates[0]!.open()
    await tick()
    // 'b' is still running: nothing past 'a' may be resolved.
    expect(batch.resolved.every((offset) => offset === '0')).toBe(true)
    gates[1]!.open()
    await done
    expect(batch.resolved.at(-1)).toBe('1')
    // Resolved offsets only grow, and the commit comes after the last one.
    expect(batch.resolved.map(Number)).toEqual([...batch.resolved.map(Number)].sort((a, b) => a - b))
    expect(batch.calls.at(-1)).toBe('commit')
  })

  it('gives a record that ran past a turn (50 ms) its resolve before the next one starts', async () => {
    const batch = new FakeBatch('orders', records('orders', ['slow', 'next']))
    const seenWhenNextStarted: string[][] = []
    const route = routeOf(text, async ({ value }) => {
      if (value === 'slow') await new Promise((resolve) => setTimeout(resolve, 80))
      else seenWhenNextStarted.push([...batch.resolved])
    })
    await processBatch(batch, route, contextOf(new FakeSender()))
    expect(seenWhenNextStarted).toEqual([['0']])
    expect(batch.resolved.at(-1)).toBe('1')
  })

  it('resolves a failed message only once the broker acknowledged its dead letter', async () => {
    const sender = new FakeSender()
    sender.auto = undefined
    const batch = new FakeBatch('orders', records('orders', ['a']))
    const done = processBatch(batch, routeOf(text, () => failingWith(new KafkitError('KAFKIT_HANDLER', 'rejected', { retriable: false }))), contextOf(sender))
    await sender.writeWaiting()
    expect(batch.resolved).toEqual([])
    sender.ack()
    await done
    expect(batch.resolved).toEqual(['0'])
  })

  it('holds the offset while a dead-letter write fails for a retriable reason, and resolves once it is acknowledged', async () => {
    const sender = new FakeSender()
    sender.auto = undefined
    const batch = new FakeBatch('orders', records('orders', ['a', 'b']))
    const handled: unknown[] = []
    const ctx = contextOf(sender)
    const done = processBatch(batch, routeOf(text, ({ value }) => {
      handled.push(value)
      if (value === 'a') failingWith(new KafkitError('KAFKIT_HANDLER', 'rejected', { retriable: false }))
    }), ctx)
    await sender.writeWaiting()
    sender.fail(new KafkitError('KAFKIT_KAFKA', 'NOT_LEADER_FOR_PARTITION', { retriable: true }))
    await sender.writeWaiting()
    // The failed write held the partition: nothing resolved, 'b' not even started.
    expect(batch.resolved).toEqual([])
    expect(handled).toEqual(['a'])
    expect(ctx.log.map((e) => e.name)).toContain('consumer.write-failed')
    sender.ack()
    await done
    expect(batch.resolved.at(-1)).toBe('1')
  })

  it('does not resolve a message whose handler was aborted (shutdown past its timeout, revocation)', async () => {
    const ctx = contextOf(new FakeSender())
    const batch = new FakeBatch('orders', records('orders', ['a', 'b']))
    const done = processBatch(batch, routeOf(text, ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))), ctx)
    await tick()
    for (const controller of ctx.inFlight) controller.abort(new KafkitError('KAFKIT_ABORTED', 'stopping'))
    await done
    expect(batch.resolved).toEqual([])
    expect(ctx.log.map((e) => e.name)).not.toContain('dlq.dispatched')
  })

  it('aborts in-flight work and resolves nothing more when a heartbeat reports a rebalance', async () => {
    const ctx = contextOf(new FakeSender(), { heartbeatIntervalMs: 5 })
    const batch = new FakeBatch('orders', records('orders', ['a', 'b']))
    batch.heartbeatError = new Error('The group is rebalancing, so a rejoin is needed')
    const done = processBatch(batch, routeOf(text, ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))), ctx)
    await expect(done).rejects.toThrow(/rebalancing/)
    expect(batch.resolved).toEqual([])
  })
})

describe('the synchronous path: records handled without an await in between', () => {
  const text = defineTopic({ name: 'orders', value: { format: 'text', encode: (value: string) => Buffer.from(value), decode: (bytes: Buffer) => bytes.toString() } })

  it('takes no further record once a synchronous handler asked the owner to stop: the stop takes effect after the record in hand', async () => {
    let stopping = false
    const handled: string[] = []
    const batch = new FakeBatch('orders', records('orders', ['a', 'b', 'c']))
    const route = routeOf(text, ({ value }) => {
      handled.push(value as string)
      if (value === 'a') stopping = true
    })
    await processBatch(batch, route, contextOf(new FakeSender(), { isStopping: () => stopping }))
    expect(handled).toEqual(['a'])
    expect(batch.resolved).toEqual(['0'])
  })

  it('checks the engine again after a handler that waited: a batch that stopped running meanwhile takes no further record', async () => {
    const handled: string[] = []
    const batch = new FakeBatch('orders', records('orders', ['a', 'b', 'c']))
    const route = routeOf(text, async ({ value }) => {
      handled.push(value as string)
      await new Promise((resolve) => setImmediate(resolve))
      if (value === 'b') batch.running = false
    })
    await processBatch(batch, route, contextOf(new FakeSender()))
    expect(handled).toEqual(['a', 'b'])
    expect(batch.resolved.at(-1)).toBe('1')
  })

  it('reads records as the engine made them: no headers at all (the message formats before Kafka 0.11) decode, and a failure is dead-lettered with the record\'s place', async () => {
    const sender = new FakeSender()
    const bare = records('orders', ['good', 'bad']).map(({ topic: _topic, partition: _partition, headers: _headers, ...rest }) => rest)
    const batch = new FakeBatch('orders', bare as never, 3)
    const handled: string[] = []
    const route = routeOf(text, ({ value, partition, rawHeaders }) => {
      if (value === 'bad') throw new Error('no')
      handled.push(`${value}@${partition} ${JSON.stringify(rawHeaders)}`)
    }, fast)
    await processBatch(batch, route, contextOf(sender))
    expect(handled).toEqual(['good@3 {}'])
    const [[dead]] = sender.sent as unknown as [[{ topic: string; value: Buffer; headers: Record<string, unknown> }]]
    expect(dead.topic).toBe('orders.dlq')
    expect(dead.value.toString()).toBe('bad')
    expect(String(dead.headers['kafkit-original-partition'])).toBe('3')
    expect(batch.resolved.at(-1)).toBe('1')
  })
})

function failingWith(error: Error): never {
  throw error
}
