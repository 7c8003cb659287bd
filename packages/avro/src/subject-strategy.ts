import { KafkitError } from '@kafkit/core'

/** What a {@link SubjectStrategy} gets to name a subject. */
export interface SubjectInput {
  /** The topic the bytes go to. */
  topic: string
  /** `key` or `value` (or `headers`). */
  field: 'key' | 'value' | 'headers'
  /** The schema's full name (`namespace.Name`) when it is a named type. */
  recordName: string | undefined
}

/**
 * Names the registry subject a schema is registered and looked up under. The three
 * strategies of the Java client are built in; a custom one is any function.
 */
export type SubjectStrategy = (input: SubjectInput) => string

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
    throw new KafkitError('KAFKIT_CONFIG', `${strategy} needs a named schema (record, enum or fixed), topic "${input.topic}"`, {
      context: { topic: input.topic, field: input.field === 'headers' ? 'headers' : input.field },
    })
  }
  return input.recordName
}
