import { isKafkitError } from '@kafkit/core'
import { describe, expect, it } from 'vitest'
import { PerSchemaId, readSchemaId } from '../src/serde-support.js'

const ctx = { topic: 'orders', field: 'value' as const, partition: 2, offset: '41' }

describe('readSchemaId', () => {
  it('reads the id after the magic byte', () => {
    expect(readSchemaId(Buffer.from([0, 0, 0, 1, 7, 42]), ctx)).toBe(263)
  })

  it('never reads an id from fewer than the header\'s 5 bytes, whatever minBytes says', () => {
    expect(() => readSchemaId(Buffer.from([0, 1]), ctx, 2)).toThrow(/shorter than/)
  })

  it('reads it as a signed 32-bit big-endian int, as Buffer.readInt32BE does', () => {
    for (const id of [0, 1, 255, 256, 65_536, 2 ** 24, 2 ** 31 - 1, -1, -(2 ** 31)]) {
      const bytes = Buffer.alloc(6)
      bytes.writeInt32BE(id, 1)
      expect(readSchemaId(bytes, ctx)).toBe(id)
    }
  })

  it.each([
    ['empty', Buffer.alloc(0), /Empty value on topic "orders"/],
    ['another magic byte', Buffer.from([1, 0, 0, 0, 1]), /Unknown magic byte 1/],
    ['too short', Buffer.from([0, 0, 1]), /is 3 bytes, shorter than the 5-byte Confluent header/],
  ])('refuses %s as poison, with the topic, partition and offset', (_, bytes, message) => {
    let error: unknown
    try {
      readSchemaId(bytes, ctx)
    } catch (e) {
      error = e
    }
    expect(isKafkitError(error) && error.code).toBe('KAFKIT_SERDE_MAGIC_BYTE')
    expect((error as Error).message).toMatch(message)
    expect((error as { context: object }).context).toMatchObject({ topic: 'orders', partition: 2, offset: '41' })
  })
})

describe('PerSchemaId', () => {
  it('loads an id once, also for records that ask together', async () => {
    const cache = new PerSchemaId<string>()
    let loads = 0
    const load = async () => {
      loads++
      await new Promise((resolve) => setTimeout(resolve, 5))
      return 'reader'
    }
    expect(await Promise.all([cache.load(7, load), cache.load(7, load), cache.load(7, load)])).toEqual(['reader', 'reader', 'reader'])
    expect(await cache.load(7, load)).toBe('reader')
    expect(loads).toBe(1)
    expect(cache.get(7)).toBe('reader')
  })

  it('gives each id its own entry when records of several ids alternate (the last one asked for is kept apart)', async () => {
    const cache = new PerSchemaId<string>()
    expect(cache.get(1)).toBeUndefined()
    cache.set(1, 'one')
    await cache.load(2, async () => 'two')
    expect([1, 2, 2, 1, 1, 2, 3].map((id) => cache.get(id))).toEqual(['one', 'two', 'two', 'one', 'one', 'two', undefined])
    expect(cache.get(1)).toBe('one')
    // Replaced while it is the one asked for last: the next record gets the new entry.
    cache.set(1, 'one again')
    expect(cache.get(1)).toBe('one again')
    cache.set(3, 'three')
    expect([3, 1, 3].map((id) => cache.get(id))).toEqual(['three', 'one again', 'three'])
  })

  it('keeps a loaded entry for any id, -1 included', async () => {
    const cache = new PerSchemaId<string>()
    expect(await cache.load(-1, async () => 'minus one')).toBe('minus one')
    expect(cache.get(-1)).toBe('minus one')
  })

  it('does not keep a failed load: the next record asks again', async () => {
    const cache = new PerSchemaId<string>()
    let calls = 0
    const load = async () => {
      if (++calls === 1) throw new Error('registry down')
      return 'reader'
    }
    await expect(cache.load(3, load)).rejects.toThrow('registry down')
    expect(cache.get(3)).toBeUndefined()
    expect(await cache.load(3, load)).toBe('reader')
  })
})
