import { describe, expect, test } from 'vitest'
import { isKafkitError, KafkitError } from '../../../src/index.js'
import { SendOp } from '../../../src/internal/transport/delivery-report.js'
import { topicAuthorizationError } from '../../../src/internal/transport/topic-authorization.js'

// As the delivery path makes it (delivery.ts #expire).
const timeout = new KafkitError('KAFKIT_KAFKA', 'delivery timeout: not acknowledged within 1000 ms', { retriable: true, context: { reason: 'delivery-timeout' } })

function op(parts: [topic: string, partition: number, records: number][]) {
  const send = new SendOp(Date.now() + 1000)
  const slots = parts.map(([topic, partition, records]) => {
    const slot = send.slot(topic, partition)
    slot.records = records
    send.opened()
    return slot
  })
  return { send, slots }
}

describe('SendOp: a send settles once every piece did, and says what became of each record', () => {
  test('resolves with one entry per partition, at the offset of its first record, only when all are written', async () => {
    const { send, slots } = op([['t', 0, 2], ['t', 1, 3]])
    send.written(slots[1]!, 3, 40n, '-1')
    let settled = false
    void send.promise.then(() => (settled = true))
    await Promise.resolve()
    expect(settled).toBe(false)
    send.written(slots[0]!, 2, 7n, '-1')
    expect(await send.promise).toEqual([
      { topic: 't', partition: 0, baseOffset: '7', logAppendTime: '-1' },
      { topic: 't', partition: 1, baseOffset: '40', logAppendTime: '-1' },
    ])
  })

  test('a partly written send rejects as partial, naming what was written and what was not', async () => {
    const { send, slots } = op([['t', 0, 2], ['t', 1, 3]])
    send.written(slots[0]!, 2, 7n, '-1')
    send.failed(slots[1]!, 3, 'not-written', timeout)
    const error = await send.promise.catch((e: unknown) => e)
    expect(isKafkitError(error)).toBe(true)
    if (!isKafkitError(error)) return
    expect(error.retriable).toBe(true)
    expect(error.context).toMatchObject({
      topic: 't',
      outcome: 'partial',
      partitions: [
        { topic: 't', partition: 0, records: 2, written: 2, notWritten: 0, unknown: 0, baseOffset: '7' },
        { topic: 't', partition: 1, records: 3, written: 0, notWritten: 3, unknown: 0 },
      ],
    })
    expect(error.message).toMatch(/t\[1\]: 0 written, 3 not written/)
  })

  test('records that got no answer make the outcome unknown, and the message warns that a retry may duplicate them', async () => {
    const { send, slots } = op([['a', 0, 1], ['b', 0, 1]])
    send.failed(slots[0]!, 1, 'not-written', new Error('refused'))
    send.failed(slots[1]!, 1, 'unknown', timeout)
    const error = await send.promise.catch((e: unknown) => e)
    expect(isKafkitError(error) && error.context).toMatchObject({ topics: ['a', 'b'], outcome: 'unknown' })
    expect((error as Error).message).toMatch(/may or may not be written" got no answer before the delivery timeout: .*may duplicate/)
  })

  test('records whose request went unanswered before a refusal are unknown, and the message gives that reason, not the delivery timeout', async () => {
    const { send, slots } = op([['closed', 0, 1]])
    send.failed(slots[0]!, 1, 'unknown', topicAuthorizationError(['closed'], 'metadata'))
    const error = await send.promise.catch((e: unknown) => e)
    expect(isKafkitError(error) && error.context).toMatchObject({ topic: 'closed', outcome: 'unknown' })
    expect((error as Error).message).toMatch(/may or may not be written" went out in a request that got no answer, or an answer that does not rule out the write, before this failure: .*may duplicate/)
    expect((error as Error).message).not.toContain('delivery timeout')
  })

  test('nothing written: not-written, and a retry cannot duplicate', async () => {
    const { send, slots } = op([['t', 0, 4]])
    send.failed(slots[0]!, 4, 'not-written', Object.assign(new Error('Message too large'), { retriable: false }))
    const error = await send.promise.catch((e: unknown) => e)
    expect(isKafkitError(error) && error.context.outcome).toBe('not-written')
    expect(isKafkitError(error) && error.retriable).toBe(false)
  })
})
