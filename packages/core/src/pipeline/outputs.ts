import type { AnyTopicContract, OutgoingMessage } from '../contract.js'
import { KafkitError } from '../errors.js'
import { encodeRecords } from '../internal/record.js'
import type { WireMessage, WireTopicMessages } from '../internal/transport/index.js'
import type { HandlerContext, Message } from '../runtime/message.js'
import type { KafkitPipeline } from './pipeline.js'

/** What a transform returns for one output contract: one message, several, or none (`null`/`undefined`/`[]`). */
export type PipelineOutput<C extends AnyTopicContract> = OutgoingMessage<C> | readonly OutgoingMessage<C>[] | null | undefined | void

/** Several output contracts, by a name of your choosing. */
export type PipelineOutputs = Record<string, AnyTopicContract>

/** What a transform with several outputs returns: per output name, its message(s); leave a name out for none. */
export type PipelineResults<O extends PipelineOutputs> = { [K in keyof O]?: PipelineOutput<O[K]> }

/** The transform: one consumed input in, typed output records out. Throw to fail the input (the failure policy decides). */
export type PipelineTransform<In extends AnyTopicContract, R> = (message: Message<In> & HandlerContext) => R | Promise<R>

/** The builder step after `from()`: say where the results go. */
export interface PipelineSource<In extends AnyTopicContract> {
  /**
   * One output topic: `transform` returns a message, several, or none.
   * @throws KafkitError `KAFKIT_CONFIG` when called twice or after `start()`
   */
  to<Out extends AnyTopicContract>(output: Out, transform: PipelineTransform<In, PipelineOutput<Out>>): KafkitPipeline
  /** Several output topics by name: `transform` returns `{ name: message(s) }`. */
  to<O extends PipelineOutputs>(outputs: O, transform: PipelineTransform<In, PipelineResults<O> | null | undefined | void>): KafkitPipeline
}

export const isContract = (value: unknown): value is AnyTopicContract =>
  typeof value === 'object' && value !== null && typeof (value as AnyTopicContract).name === 'string' && typeof (value as AnyTopicContract).value?.encode === 'function'

/** A transaction's encoded outputs (and dead letters), by topic, until it writes them. */
export type Buffered = Map<string, WireTopicMessages['messages']>
/** The user's transform with its results encoded into the buffer. */
export type TransformFn = (message: Message<AnyTopicContract> & HandlerContext, buffer: Buffered) => void | Promise<void>

/** The encoded records of one output's result (one message or several); `undefined` for none. */
function encodeOutput(contract: AnyTopicContract, out: unknown): WireMessage[] | Promise<WireMessage[]> | undefined {
  if (out === null || out === undefined) return undefined
  const messages = Array.isArray(out) ? (out as OutgoingMessage<AnyTopicContract>[]) : [out as OutgoingMessage<AnyTopicContract>]
  return messages.length === 0 ? undefined : encodeRecords(contract, messages)
}

/** Appends encoded outputs to the transaction buffer. */
export function keep(buffer: Buffered, topic: string, messages: WireMessage[]): void {
  const list = buffer.get(topic)
  if (list === undefined) buffer.set(topic, messages)
  else for (const message of messages) list.push(message)
}

/**
 * Checks the outputs of `pipeline.to(outputs, transform)` and makes the transform the
 * transaction loop runs: it calls `transform`, encodes what it returned with the output
 * contracts (an invalid result fails this input alone: the policy dead-letters it) and
 * buffers the records by topic until the transaction writes them.
 * @throws KafkitError `KAFKIT_CONFIG` for anything but a contract or an object of contracts
 */
export function buildTransform(outputs: AnyTopicContract | PipelineOutputs, transform: PipelineTransform<AnyTopicContract, unknown>): { topics: string[]; run: TransformFn } {
  if (typeof transform !== 'function') throw new KafkitError('KAFKIT_CONFIG', 'pipeline.to(output, transform): transform must be a function')
  const single = isContract(outputs)
  const named = single ? { '': outputs } : (outputs as PipelineOutputs)
  const entries = Object.entries(named)
  if (entries.length === 0 || entries.some(([, c]) => !isContract(c))) {
    throw new KafkitError('KAFKIT_CONFIG', 'pipeline.to(): expected a topic contract or an object of topic contracts')
  }
  const toBuffer = (result: unknown, buffer: Buffered): void | Promise<void> => {
    if (result === null || result === undefined) return
    // Encode before buffering: an invalid result fails this input alone (policy: dead letter).
    if (single) {
      const encoded = encodeOutput(outputs as AnyTopicContract, result)
      if (encoded === undefined) return
      return encoded instanceof Promise ? encoded.then((messages) => keep(buffer, (outputs as AnyTopicContract).name, messages)) : keep(buffer, (outputs as AnyTopicContract).name, encoded)
    }
    const parts: [string, WireMessage[] | Promise<WireMessage[]>][] = []
    let pending = false
    try {
      for (const [name, out] of Object.entries(result as Record<string, unknown>)) {
        const contract = named[name]
        if (contract === undefined) throw new KafkitError('KAFKIT_VALIDATION', `transform returned an unknown output '${name}' (known: ${Object.keys(named).join(', ')})`)
        const encoded = encodeOutput(contract, out)
        if (encoded === undefined) continue
        if (encoded instanceof Promise) pending = true
        parts.push([contract.name, encoded])
      }
    } catch (error) {
      // Outputs before this one may still be encoding; their outcome no longer matters.
      for (const [, part] of parts) if (part instanceof Promise) part.catch(() => {})
      throw error
    }
    if (!pending) {
      for (const [topic, messages] of parts) keep(buffer, topic, messages as WireMessage[])
      return
    }
    return Promise.all(parts.map(async ([topic, part]) => [topic, await part] as const)).then((settled) => {
      for (const [topic, messages] of settled) keep(buffer, topic, messages)
    })
  }
  // A synchronous transform with synchronous serdes runs without a trip through the microtask queue.
  const run: TransformFn = (message, buffer) => {
    const result = transform(message)
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      return Promise.resolve(result as PromiseLike<unknown>).then((settled) => toBuffer(settled, buffer))
    }
    return toBuffer(result, buffer)
  }
  return { topics: entries.map(([, c]) => c.name), run }
}
