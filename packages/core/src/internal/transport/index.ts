/**
 * The one door to the Kafka engine. Nothing outside this folder imports kafkajs; the rest
 * of kafkit uses the engine-neutral types below and a {@link Transport}.
 * @internal
 */
export { KafkajsTransport as Transport } from './kafkajs.js'
export { fencingShownBy, isFencing, toKafkitError } from './errors.js'
export { registerCodecs } from './codecs.js'
export type * from './types.js'
export { createConsumerDeps } from './group-consumer.js'
export { createDeadLetterDeps } from './dead-letter-deps.js'
export { createPipelineDeps } from './pipeline-deps.js'
export { createTransactionalProducer } from './transactions.js'
export { DEFAULT_MAX_QUEUED_BYTES } from './byte-budget.js'
