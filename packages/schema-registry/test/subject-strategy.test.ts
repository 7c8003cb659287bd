import { describe, expect, test } from 'vitest'
import { recordNameStrategy, topicNameStrategy, topicRecordNameStrategy } from '../src/index.js'

describe('subject strategies', () => {
  const input = { topic: 'orders', field: 'value' as const, recordName: 'com.shop.Order' }
  test('TopicName: <topic>-key / <topic>-value', () => {
    expect(topicNameStrategy(input)).toBe('orders-value')
    expect(topicNameStrategy({ ...input, field: 'key' })).toBe('orders-key')
  })
  test('RecordName: the full record name', () => {
    expect(recordNameStrategy(input)).toBe('com.shop.Order')
  })
  test('TopicRecordName: <topic>-<full name>', () => {
    expect(topicRecordNameStrategy(input)).toBe('orders-com.shop.Order')
  })
  test('record strategies need a named schema', () => {
    expect(() => recordNameStrategy({ ...input, recordName: undefined })).toThrow(expect.objectContaining({ code: 'KAFKIT_CONFIG' }))
    expect(() => topicRecordNameStrategy({ ...input, recordName: undefined })).toThrow(/needs a named schema/)
  })
})
