// Dead letters as kafkit's consumer writes them, for the replay tests that fill a dead-letter
// topic by hand. Not a test file.
import { KafkitHeaders } from '../../src/runtime/headers.js'

/**
 * `count` dead letters of `source` (`payload <i>`, key `k<i>`, failed by group `g` with
 * KAFKIT_HANDLER at its first try), spread round-robin over `partitions`, as kafkajs messages.
 */
export function deadLetterMessages(source: string, count: number, partitions: number) {
  const now = String(Date.now())
  return Array.from({ length: count }, (_, i) => ({
    key: `k${i}`,
    value: `payload ${i}`,
    partition: i % partitions,
    headers: {
      [KafkitHeaders.originalTopic]: source,
      [KafkitHeaders.originalPartition]: String(i % partitions),
      [KafkitHeaders.originalOffset]: String(i),
      [KafkitHeaders.originalGroup]: 'g',
      [KafkitHeaders.attempts]: '1',
      [KafkitHeaders.errorCode]: 'KAFKIT_HANDLER',
      [KafkitHeaders.failedAt]: now,
    },
  }))
}
