/**
 * `@kafkit/core`: typed Kafka event contracts, serdes, producer and consumer runtime over kafkajs.
 * @packageDocumentation
 */
export { KafkitError, KafkitErrorCodes, isKafkitError, type KafkitErrorCode, type KafkitErrorContext, type KafkitIssue } from './errors.js'
export type { Serde, SerdeContext, SerdeInput, SerdeOutput } from './serde.js'
