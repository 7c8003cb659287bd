import { KafkitError, type SubjectInput, type SubjectStrategy } from '@kafkit/core'

export type { SubjectInput, SubjectStrategy }

/** `<topic>-key` / `<topic>-value`: one schema lineage per topic (the Java client's default). */
export const topicNameStrategy: SubjectStrategy = ({ topic, field }) => `${topic}-${field}`

/**
 * `<namespace.Name>`: one lineage per record type, shared by every topic that carries it.
 * @throws KafkitError `KAFKIT_CONFIG` for a schema that is not a named type
 */
export const recordNameStrategy: SubjectStrategy = (input) => requireName(input, 'recordNameStrategy')

/** `<topic>-<namespace.Name>`: several record types on one topic, each with its own lineage. */
export const topicRecordNameStrategy: SubjectStrategy = (input) => `${input.topic}-${requireName(input, 'topicRecordNameStrategy')}`

function requireName(input: SubjectInput, strategy: string): string {
  if (!input.recordName) {
    throw new KafkitError('KAFKIT_CONFIG', `${strategy} needs a named schema (an Avro record, enum or fixed, a Protobuf message, a JSON Schema with a title), topic "${input.topic}"`, {
      context: { topic: input.topic, field: input.field === 'headers' ? 'headers' : input.field },
    })
  }
  return input.recordName
}
