/** What a serde knows about the bytes it handles. */
export interface SerdeContext {
  /** The topic the bytes go to or come from. */
  readonly topic: string
  /** Which part of the record. */
  readonly field: 'key' | 'value' | 'headers'
  /** Set when decoding a consumed record. */
  readonly partition?: number
  /** Set when decoding a consumed record. */
  readonly offset?: string
}

/**
 * Turns values of one type into bytes and back. Implement it for a format kafkit lacks.
 *
 * `TOutput` is what decoding yields (and consumers receive); `TInput` is what encoding
 * accepts (and producers send). They differ when validation transforms, e.g. zod's
 * `z.coerce.date()` accepts a string and yields a `Date`.
 *
 * Return plain values where no I/O is needed: the producer and consumer only await a
 * Promise when one is returned, so synchronous serdes cost no extra tick per message.
 * Throw a `KafkitError` (`KAFKIT_VALIDATION`, `KAFKIT_SERDE_DECODE`…) for bad input, so
 * the consumer knows not to retry it.
 */
export interface Serde<TOutput, TInput = TOutput> {
  /** A short name for errors and docs, e.g. `json`, `avro`, `string`. */
  readonly format: string
  encode(value: TInput, context: SerdeContext): Buffer | Promise<Buffer>
  decode(bytes: Buffer, context: SerdeContext): TOutput | Promise<TOutput>
}

/** The type a serde decodes to. */
export type SerdeOutput<S> = S extends Serde<infer O, any> ? O : never
/** The type a serde encodes from. */
export type SerdeInput<S> = S extends Serde<any, infer I> ? I : never
