/**
 * `@kafkit/avro`: Avro serdes with the Confluent Schema Registry wire format, subject
 * strategies, compatibility checks, and TypeScript types inferred from schema literals.
 * @packageDocumentation
 */
export { avro, AvroSerde, type AvroOptions, type LocalAvroSerde } from './avro-serde.js'
export type { AvroInput, AvroValue } from './avro-type.js'
export {
  SchemaRegistry,
  type CompatibilityLevel,
  type CompatibilityResult,
  type SchemaRegistryOptions,
  type SchemaText,
  type SubjectVersion,
} from './schema-registry.js'
export { generateTypeScript, type CodegenOptions, type GeneratedModule } from './codegen.js'
export { recordNameStrategy, topicNameStrategy, topicRecordNameStrategy, type SubjectInput, type SubjectStrategy } from './subject-strategy.js'
