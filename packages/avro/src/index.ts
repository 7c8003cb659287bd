/**
 * `@kafkit/avro`: Avro serdes with the Confluent Schema Registry wire format, subject
 * strategies, compatibility checks, and TypeScript types inferred from schema literals.
 * The registry client lives in `@kafkit/schema-registry` and is re-exported here.
 * @packageDocumentation
 */
export { avro, AvroSerde, type AvroOptions, type LocalAvroSerde } from './avro-serde.js'
export type { AvroInput, AvroValue } from './avro-type.js'
export {
  SchemaRegistry,
  type CompatibilityLevel,
  type CompatibilityResult,
  type RegisteredSchema,
  type RegistrySchema,
  type SchemaInput,
  type SchemaReference,
  type SchemaRegistryOptions,
  type SchemaText,
  type SchemaType,
  type SubjectVersion,
} from '@kafkit/schema-registry'
export { generateTypeScript, type CodegenOptions, type GeneratedModule } from './codegen.js'
export { recordNameStrategy, topicNameStrategy, topicRecordNameStrategy, type SubjectInput, type SubjectStrategy } from '@kafkit/schema-registry'
