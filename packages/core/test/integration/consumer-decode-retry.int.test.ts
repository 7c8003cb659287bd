// Contract: a record that does not decode for a reason outside its bytes (a writer schema the reader cannot resolve, a registry that refuses) is never silently committed: under a retry decision it is decoded again, and once the attempts run out it is dead-lettered; its offset is committed only after the dead letter was acknowledged.
import { uniqueName, waitFor } from '@kafkit/testkit'
import { expect, it } from 'vitest'
import { defineTopic } from '../../src/contract.js'
import { parseDeadLetterHeaders } from '../../src/runtime/headers.js'
import { KafkitError } from '../../src/errors.js'
import type { Serde } from '../../src/serde.js'
import { string } from '../../src/serdes/string.js'
import { useHarness } from './consumer-harness.js'

const h = useHarness()

/** Reads UTF-8 text; a record whose text starts with `v2:` has a writer schema this reader cannot resolve. */
const versioned: Serde<string> = {
  format: 'versioned-text',
  encode: (value) => Buffer.from(value),
  decode: (bytes, context) => {
    const text = bytes.toString()
    if (text.startsWith('v2:')) {
      throw new KafkitError('KAFKIT_SCHEMA_INCOMPATIBLE', `writer schema v2 of ${context.topic} cannot be read with reader schema v1`, { retriable: false, context: { topic: context.topic, offset: context.offset } })
    }
    return text
  },
}

it('decodes a record again under retryIf, then dead-letters it, and commits its offset only after that', async () => {
  const topic = uniqueName('decode-retry')
  await h.createTopic(topic)
  const groupId = uniqueName('g')
  const Topic = defineTopic({ name: topic, key: string(), value: versioned })
  const handled: string[] = []
  const retries: number[] = []
  const deadLetters: string[] = []
  const consumer = h.consumer({ groupId, fromBeginning: true })
  consumer.on('consumer.retry', (e) => retries.push(e.attempt))
  consumer.on('dlq.dispatched', (e) => deadLetters.push(e.offset))
  consumer.handle(Topic, async (m) => void handled.push(m.value), { retry: { attempts: 2, backoff: { initialMs: 20, maxMs: 40 }, retryIf: () => true }, deadLetter: true })
  await consumer.start()
  await h.produce(topic, [
    { key: 'a', value: 'v1:first' },
    { key: 'b', value: 'v2:unreadable' },
    { key: 'c', value: 'v1:after' },
  ])
  await waitFor(() => handled.includes('v1:after'), { message: 'the record after the unreadable one handled' })
  await consumer.stop()
  expect(handled).toEqual(['v1:first', 'v1:after'])
  // Two retries (attempts: 2), then the dead letter: not one retry and a silent commit.
  expect(retries).toEqual([1, 2])
  expect(deadLetters).toEqual(['1'])
  const [dead] = await h.readAll(`${topic}.dlq`, 1)
  expect(dead!.value!.toString()).toBe('v2:unreadable')
  expect(parseDeadLetterHeaders(dead!.headers)).toMatchObject({ originalOffset: '1', errorCode: 'KAFKIT_SCHEMA_INCOMPATIBLE', attempts: 3 })
  const committed = await h.admin.fetchOffsets({ groupId, topics: [topic] })
  expect(committed[0]!.partitions[0]!.offset).toBe('3')
})
