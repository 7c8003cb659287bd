// The shared cluster and raw kafkajs helpers of the Avro integration tests: the same rig, one copy.
export { cluster, consumeRaw, createTopic, endOffset, produceRaw, type RawRecord } from '../../../avro/test/integration/kafka-helpers.js'
