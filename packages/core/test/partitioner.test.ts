import kafkajs from 'kafkajs'
import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { createDefaultPartitioner, murmur2, partitionForKey } from '../src/index.js'

// Reference values from the Java client (kafka-clients 3.9.2): `Utils.murmur2(key.getBytes(UTF_8))`
// and `Utils.toPositive(hash) % n`, printed by a one-off Java program. The first six hashes
// are also the vectors of Kafka's own UtilsTest.testMurmur2.
const JAVA: { key: string; hash: number; of6: number; of7: number; of100: number }[] = [
  { key: '21', hash: -973932308, of6: 0, of7: 3, of100: 40 },
  { key: 'foobar', hash: -790332482, of6: 0, of7: 0, of100: 66 },
  { key: 'a-little-bit-long-string', hash: -985981536, of6: 2, of7: 1, of100: 12 },
  { key: 'a-little-bit-longer-string', hash: -1486304829, of6: 5, of7: 0, of100: 19 },
  { key: 'lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', hash: -58897971, of6: 5, of7: 3, of100: 77 },
  { key: 'abc', hash: 479470107, of6: 3, of7: 4, of100: 7 },
  { key: 'u1', hash: 745337584, of6: 4, of7: 5, of100: 84 },
  { key: 'user-42', hash: 1459644460, of6: 4, of7: 1, of100: 60 },
  { key: 'order-1001', hash: 297523878, of6: 0, of7: 1, of100: 78 },
  { key: 'ünïcödé-ключ', hash: -390712212, of6: 2, of7: 0, of100: 36 },
  { key: '', hash: 275646681, of6: 3, of7: 2, of100: 81 },
  { key: 'k', hash: -1567496736, of6: 2, of7: 1, of100: 12 },
]

describe('murmur2', () => {
  test.each(JAVA)('hashes $key as the Java client does', ({ key, hash }) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(hash)
  })
})

describe('partitionForKey', () => {
  test.each(JAVA)('places $key where the Java client does', ({ key, of6, of7, of100 }) => {
    expect(partitionForKey(key, 6)).toBe(of6)
    expect(partitionForKey(key, 7)).toBe(of7)
    expect(partitionForKey(Buffer.from(key, 'utf8'), 100)).toBe(of100)
  })

  test('agrees with kafkajs v2 DefaultPartitioner (Java-compatible) on random keys', () => {
    const engine = kafkajs.Partitioners.DefaultPartitioner()
    const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }))
    for (let i = 0; i < 2_000; i++) {
      const key = randomBytes(i % 40)
      expect(partitionForKey(key, 12)).toBe(engine({ topic: 't', partitionMetadata, message: { key, value: null } }))
    }
  })
})

describe('createDefaultPartitioner', () => {
  test('places keyed records by murmur2 over all partitions, even when some have no leader', () => {
    const partitioner = createDefaultPartitioner()
    for (const { key, of6 } of JAVA) {
      expect(partitioner({ topic: 't', key: Buffer.from(key, 'utf8'), partitionCount: 6, availablePartitions: [0, 1] })).toBe(of6)
    }
  })

  test('spreads keyless records round-robin over partitions with a leader', () => {
    const partitioner = createDefaultPartitioner()
    const picks = Array.from({ length: 9 }, () => partitioner({ topic: 't', key: null, partitionCount: 6, availablePartitions: [1, 3, 5] }))
    expect(new Set(picks)).toEqual(new Set([1, 3, 5]))
    for (let i = 3; i < picks.length; i++) expect(picks[i]).toBe(picks[i - 3])
  })
})
