/**
 * `@kafkit/core`: typed Kafka event contracts, serdes, producer and consumer runtime over kafkajs.
 * @packageDocumentation
 */
export { KafkitError, KafkitErrorCodes, isKafkitError, type KafkitErrorCode, type KafkitErrorContext, type KafkitIssue } from './errors.js'
export type {
  RegistrySchema,
  SchemaReference,
  SchemaRegistryPort,
  SchemaType,
  Serde,
  SerdeContext,
  SerdeInput,
  SerdeOutput,
  SubjectInput,
  SubjectStrategy,
} from './serde.js'

// Contracts and serdes
export {
  defineTopic,
  optional,
  type AnySerde,
  type AnyTopicContract,
  type DecodedMessage,
  type HeaderSpec,
  type HeadersInput,
  type HeadersOutput,
  type IncomingMessage,
  type OptionalHeader,
  type OutgoingMessage,
  type TopicContract,
  type TopicDefinition,
} from './contract.js'
export { string } from './serdes/string.js'
export { json, type JsonSerdeOptions, type JsonValidator } from './serdes/json.js'
export { contextOf, HEADER_BYTES, MAGIC_BYTE, PerSchemaId, readSchemaId, withTopic } from './serdes/confluent-wire.js'
export { buffer } from './serdes/buffer.js'

// Client, producer, admin
export { Kafkit } from './client.js'
export type { KafkitConfig, RetryConfig, SaslConfig } from './config.js'
export { KafkitProducer, type CompressionName, type PartitionDeliveryReport, type ProducerOptions, type RecordMetadata, type RecordOutcome, type TopicMessages } from './producer.js'
export { createDefaultPartitioner, murmur2, partitionForKey, type Partitioner, type PartitionerContext } from './partitioner.js'
export { KafkitAdmin, type EnsureTopicsOptions, type EnsureTopicsReport, type ListTopicsOptions, type TopicDrift } from './admin.js'

// Transactions
export type { Transaction, TransactionOptions, TransactionTopicMessages } from './transaction.js'
export type { TransactionEventName, TransactionEvents } from './transaction-events.js'

// Exactly-once pipelines
export { KafkitPipeline, type PipelineOutput, type PipelineOutputs, type PipelineResults, type PipelineSource, type PipelineTransform } from './pipeline/pipeline.js'
export type { PipelineOptions } from './pipeline/options.js'
export type { PipelineEvents, PipelineOwnEvents } from './pipeline/events.js'

// Operations: configuration from the environment, logging, metrics, tracing, health
export { ENV_VARIABLES, readEnvConfig, type EnvConfig, type EnvVariable, type SchemaRegistryConnection } from './config/env.js'
export { createDefaultLogger, type KafkitLogFn, type KafkitLogger, type KafkitLogLevel } from './logging/logger.js'
export { engineLineLevel, type EngineLogLine } from './logging/engine-log.js'
export type { MetricsOptions, TracingOptions } from './instrumentation/telemetry.js'
export type { ConsumerHealth, HealthOptions, HealthReport, HeldPartition } from './instrumentation/health.js'
export { opsHandler, startOpsServer, type OpsServer, type OpsServerOptions, type OpsSource } from './instrumentation/ops-server.js'

// Consumer runtime
export { KafkitConsumer } from './consumer/consumer.js'
export type { BatchHandler, HandlerContext, Message, MessageHandler } from './runtime/message.js'
export type { ConsumerOptions } from './consumer/options.js'
export type { BatchHandlerOptions, DeadLetterOptions, FailurePolicyOptions, RetryOptions, RetryTopicsOptions } from './runtime/options.js'
export type { BackoffOptions } from './runtime/backoff.js'
export type { Duration } from './runtime/duration.js'
export type { ConsumerEvents, ConsumerEventName, MessageRef, RebalanceReason } from './runtime/events.js'
export { KafkitHeaders, SpringHeaders, parseDeadLetterHeaders, type DeadLetterInfo, type HeaderMode } from './runtime/headers.js'
export {
  DeadLetterTopic,
  ledgerTopicOf,
  replayTransactionalIdOf,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterReadOptions,
  type ReplayOptions,
  type ReplayProgress,
  type ReplayReport,
} from './consumer/replay.js'
