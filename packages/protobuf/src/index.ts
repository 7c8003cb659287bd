/**
 * `@kafkit/protobuf`: Protobuf serdes (protobufjs) in the Confluent Schema Registry wire
 * format with message indexes, `.proto` imports as registry references, and TypeScript
 * types from `kafkit codegen protobuf`. The registry client is `@kafkit/schema-registry`'s,
 * re-exported here.
 * @packageDocumentation
 */
export { protobuf, ProtobufSerde, type LocalProtobufSerde, type ProtobufOptions, type ProtoObject } from './protobuf-serde.js'
export { loadProtoFile, protoFile, protoMessages, type LoadProtoOptions, type ProtoFile } from './proto-file.js'
export { protoMessage, type ProtoMessage } from './proto-message.js'
export { generateProtobufTypeScript, type ProtobufCodegenOptions, type GeneratedProtobufModule } from './codegen.js'
export {
  SchemaRegistry,
  recordNameStrategy,
  topicNameStrategy,
  topicRecordNameStrategy,
  type CompatibilityLevel,
  type CompatibilityResult,
  type SchemaRegistryOptions,
  type SubjectStrategy,
} from '@kafkit/schema-registry'
