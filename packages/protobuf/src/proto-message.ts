import type { ProtoFile } from './proto-file.js'

/**
 * A message type of a `.proto` file with its TypeScript types: `TOutput` is what consumers
 * receive, `TInput` what producers send. `kafkit codegen protobuf` writes one per message;
 * `protobuf(message)` takes the types from it.
 */
export interface ProtoMessage<TOutput, TInput = TOutput> {
  readonly file: ProtoFile
  /** Full name, package included: `shop.Payment`. */
  readonly messageName: string
  /** Type-level only: never set at run time. */
  readonly __types?: { output: TOutput; input: TInput }
}

/** A {@link ProtoMessage} for `messageName` in `file`, typed by the caller (generated code calls it). */
export function protoMessage<TOutput, TInput = TOutput>(file: ProtoFile, messageName: string): ProtoMessage<TOutput, TInput> {
  return Object.freeze({ file, messageName })
}
