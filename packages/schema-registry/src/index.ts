/**
 * `@kafkit/schema-registry`: a client of a Confluent-compatible schema registry for Avro,
 * Protobuf and JSON Schema (schema types, references, compatibility checks), and the
 * subject strategies of the Java client. `@kafkit/avro` and `@kafkit/protobuf` re-export it.
 * @packageDocumentation
 */
export {
  SchemaRegistry,
  type CompatibilityLevel,
  type CompatibilityResult,
  type RegisteredSchema,
  type SchemaInput,
  type SchemaRegistryOptions,
  type SchemaText,
  type SubjectVersion,
} from './schema-registry.js'
export type { RegistrySchema, SchemaReference, SchemaRegistryPort, SchemaType } from '@kafkit/core'
export { recordNameStrategy, topicNameStrategy, topicRecordNameStrategy, type SubjectInput, type SubjectStrategy } from './subject-strategy.js'
export { contextOf, HEADER_BYTES, MAGIC_BYTE, PerSchemaId, readSchemaId, withTopic } from './serde-support.js'
