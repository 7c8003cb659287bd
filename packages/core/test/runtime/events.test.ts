import { describe, expect, it } from 'vitest'
import { EventHub } from '../../src/runtime/events.js'
import { sleep } from '../../src/runtime/heartbeat.js'

describe('EventHub', () => {
  it('delivers to subscribers until they unsubscribe', () => {
    const hub = new EventHub()
    const seen: string[] = []
    const off = hub.on('consumer.rebalancing', (e) => seen.push(e.groupId))
    hub.emit('consumer.rebalancing', { groupId: 'a', reason: 'rebalance' })
    off()
    hub.emit('consumer.rebalancing', { groupId: 'b', reason: 'rebalance' })
    expect(seen).toEqual(['a'])
  })

  it('isolates a throwing listener from the others and from the emitter', () => {
    const errors: unknown[] = []
    const hub = new EventHub((e) => errors.push(e))
    const seen: string[] = []
    hub.on('consumer.rebalancing', () => {
      throw new Error('listener bug')
    })
    hub.on('consumer.rebalancing', (e) => seen.push(e.groupId))
    expect(() => hub.emit('consumer.rebalancing', { groupId: 'g', reason: 'member-lost' })).not.toThrow()
    expect(seen).toEqual(['g'])
    expect(errors).toHaveLength(1)
  })
})

describe('sleep', () => {
  it('rejects with the abort reason as soon as the signal fires', async () => {
    const controller = new AbortController()
    const waiting = sleep(60_000, controller.signal)
    controller.abort(new Error('shutdown'))
    await expect(waiting).rejects.toThrow('shutdown')
    await expect(sleep(10, AbortSignal.abort(new Error('already')))).rejects.toThrow('already')
  })
})
