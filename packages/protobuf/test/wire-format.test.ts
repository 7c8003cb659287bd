import { describe, expect, test } from 'vitest'
import { framePrefix, readFrame } from '../src/internal/wire-format.js'

describe('Confluent Protobuf framing', () => {
  test('[0] is the single byte 0 after the 5-byte header (as Python and Java write it)', () => {
    expect(framePrefix(3, [0]).toString('hex')).toBe('000000000300')
    expect(readFrame(Buffer.from('00000000030012', 'hex'))).toEqual({ indexes: [0], bodyOffset: 6 })
  })

  test('other arrays: zigzag count, then zigzag indexes', () => {
    // [1]: count 1 → 2, index 1 → 2; [2, 0, 1]: count 3 → 6, then 4, 0, 2
    expect(framePrefix(1, [1]).subarray(5).toString('hex')).toBe('0202')
    expect(framePrefix(1, [2, 0, 1]).subarray(5).toString('hex')).toBe('06040002')
    // index 64 → zigzag 128 → two varint bytes
    expect(framePrefix(1, [64]).subarray(5).toString('hex')).toBe('028001')
    for (const indexes of [[1], [2, 0, 1], [64], [0, 0], [300, 7]]) {
      const frame = Buffer.concat([framePrefix(0x01020304, indexes), Buffer.from('ff', 'hex')])
      expect(frame.readInt32BE(1)).toBe(0x01020304)
      const read = readFrame(frame)
      expect(read.indexes).toEqual(indexes)
      expect(frame[read.bodyOffset]).toBe(0xff)
    }
  })

  test('a cut-short, negative or absurd index array is refused', () => {
    expect(() => readFrame(Buffer.from('0000000001', 'hex'))).toThrow(/cut short/)
    expect(() => readFrame(Buffer.from('000000000104', 'hex'))).toThrow(/cut short/)
    expect(() => readFrame(Buffer.from('00000000010201', 'hex'))).toThrow(/negative/)
    expect(() => readFrame(Buffer.from('0000000001ffffffffff', 'hex'))).toThrow()
    expect(() => readFrame(Buffer.from('00000000018008', 'hex'))).toThrow(/out of range/)
  })
})
