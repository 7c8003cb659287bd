import { describe, expect, test } from 'vitest'
import { closeNames, editDistance, looksLikeDeadLetterTopic, quotedChoice } from '../../src/internal/suggest.js'

describe('editDistance', () => {
  test('counts insertions, deletions, substitutions and swaps of neighbours as one each', () => {
    expect(editDistance('orders.dlq', 'orders.dlq')).toBe(0)
    expect(editDistance('orders.dlqq', 'orders.dlq')).toBe(1)
    expect(editDistance('orders.dl', 'orders.dlq')).toBe(1)
    expect(editDistance('orders.dlt', 'orders.dlq')).toBe(1)
    expect(editDistance('ordres.dlq', 'orders.dlq')).toBe(1)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })
})

describe('looksLikeDeadLetterTopic', () => {
  test('kafkit, Spring and spelt-out names', () => {
    for (const name of ['orders.dlq', 'orders-DLT', 'orders.dead-letters', 'dlq.orders', 'orders_deadletter']) expect(looksLikeDeadLetterTopic(name), name).toBe(true)
    for (const name of ['orders', 'orders.retry.1', 'dlqueue', 'models']) expect(looksLikeDeadLetterTopic(name), name).toBe(false)
  })
})

describe('closeNames', () => {
  const topics = ['orders', 'orders.dlq', 'orders.dlq.replayed', 'orders.dlt', 'payments.dlq', 'Orders.DLQ', 'unrelated']

  test('the close names, closest first, dead-letter-looking ones first at equal distance', () => {
    expect(closeNames('orders.dlqq', topics, { preferDeadLetters: true })).toEqual(['orders.dlq', 'Orders.DLQ', 'orders.dlt'])
    // `orders.dl` is 1 from `orders.dlq` and `orders.dlt`, 3 from `orders`.
    expect(closeNames('orders.dl', topics, { preferDeadLetters: true, limit: 5 })).toEqual(['orders.dlq', 'orders.dlt', 'Orders.DLQ', 'orders'])
    expect(closeNames('orders.dlz', ['orders.dlqx', 'orders.dlq'], { preferDeadLetters: true })).toEqual(['orders.dlq', 'orders.dlqx'])
    expect(closeNames('orders.dlz', ['orders.dla', 'orders.dlq'], { preferDeadLetters: true })).toEqual(['orders.dlq', 'orders.dla'])
    expect(closeNames('orders.dlz', ['orders.dla', 'orders.dlq'])).toEqual(['orders.dla', 'orders.dlq'])
  })

  test('ignores case, never offers the name itself or a replay ledger, and nothing far away', () => {
    expect(closeNames('ORDERS.DLQ', topics)).toContain('orders.dlq')
    expect(closeNames('orders.dlq', topics)).not.toContain('orders.dlq')
    expect(closeNames('orders.dlq.replaye', topics)).toEqual([])
    expect(closeNames('orders.dlq.replaye', [...topics, 'orders.dlq.replayed'])).toEqual([])
    expect(closeNames('inventory.dlq', topics)).toEqual([])
    expect(closeNames('x', ['y', 'xy'])).toEqual(['xy', 'y'])
  })
})

describe('quotedChoice', () => {
  test('one, two or more names', () => {
    expect(quotedChoice(['a'])).toBe("'a'")
    expect(quotedChoice(['a', 'b'])).toBe("'a' or 'b'")
    expect(quotedChoice(['a', 'b', 'c'])).toBe("'a', 'b' or 'c'")
  })
})
