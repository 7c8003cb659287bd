// The building blocks of Confluent-framed serdes live in @kafkit/core (its JSON Schema serde uses them too).
export { contextOf, HEADER_BYTES, MAGIC_BYTE, PerSchemaId, readSchemaId, withTopic } from '@kafkit/core'
