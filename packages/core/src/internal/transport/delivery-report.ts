import { KafkitError } from '../../errors.js'
import { isFencing, toKafkitError } from './errors.js'
import type { RecordMetadata } from './types.js'
import type { PartitionDeliveryReport, RecordOutcome } from '../../kafka-types.js'

/** One topic-partition's share of a send. */
export class SendSlot {
  readonly topic: string
  readonly partition: number
  records = 0
  written = 0
  notWritten = 0
  unknown = 0
  baseOffset: bigint | undefined
  offsetUnknown = false
  logAppendTime = '-1'

  constructor(topic: string, partition: number) {
    this.topic = topic
    this.partition = partition
  }
}

/**
 * One `send()` call: its records per partition, settled once every piece of it was
 * acknowledged or failed. It resolves only when every record is written; otherwise it
 * rejects with a report per partition.
 */
export class SendOp {
  readonly deadline: number
  readonly slots = new Map<string, SendSlot>()
  readonly promise: Promise<RecordMetadata[]>
  #open = 0
  #failure: unknown
  #failureUnknown = false
  #failureFencing = false
  #resolve!: (value: RecordMetadata[]) => void
  #reject!: (error: unknown) => void

  constructor(deadline: number) {
    this.deadline = deadline
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
  }

  slot(topic: string, partition: number): SendSlot {
    const key = `${topic}\u0000${partition}`
    let slot = this.slots.get(key)
    if (slot === undefined) this.slots.set(key, (slot = new SendSlot(topic, partition)))
    return slot
  }

  /** The send had no records: it resolves with no entries. */
  empty(): void {
    this.#resolve([])
  }

  /** A piece of this send was queued. */
  opened(): void {
    this.#open++
  }

  /** `count` records of `slot` were written, the first at `offset` (undefined: the broker did not say). */
  written(slot: SendSlot, count: number, offset: bigint | undefined, logAppendTime: string): void {
    slot.written += count
    if (offset === undefined) slot.offsetUnknown = true
    else if (slot.baseOffset === undefined || offset < slot.baseOffset) slot.baseOffset = offset
    if (logAppendTime !== '-1') slot.logAppendTime = logAppendTime
    this.#close()
  }

  failed(slot: SendSlot, count: number, outcome: Exclude<RecordOutcome, 'written'>, error: unknown): void {
    if (outcome === 'unknown') slot.unknown += count
    else slot.notWritten += count
    // The first failure names the send's error; an `unknown` one outranks a `not-written` one,
    // and a fencing outranks both: the producer can write nothing more, whatever else happened
    // (the report per partition still says what was written).
    const fencing = isFencing(error)
    if (this.#failure === undefined || (fencing && !this.#failureFencing) || (!this.#failureFencing && outcome === 'unknown' && !this.#failureUnknown)) {
      this.#failure = error
      this.#failureUnknown = outcome === 'unknown'
      this.#failureFencing = fencing
    }
    this.#close()
  }

  #close(): void {
    if (--this.#open > 0) return
    const slots = [...this.slots.values()]
    if (slots.every((slot) => slot.written === slot.records)) {
      this.#resolve(
        slots.map((slot) => ({
          topic: slot.topic,
          partition: slot.partition,
          baseOffset: slot.offsetUnknown || slot.baseOffset === undefined ? '-1' : slot.baseOffset.toString(),
          logAppendTime: slot.logAppendTime,
        })),
      )
      return
    }
    this.#reject(failureReport(slots, this.#failure))
  }
}

/** The error of a send that did not write everything: the cause's code and verdict, and a report per partition. */
export function failureReport(slots: readonly SendSlot[], cause: unknown): KafkitError {
  const base = toKafkitError(cause, {}, 'Send')
  const partitions: PartitionDeliveryReport[] = slots.map((slot) => ({
    topic: slot.topic,
    partition: slot.partition,
    records: slot.records,
    written: slot.written,
    notWritten: slot.notWritten,
    unknown: slot.unknown,
    ...(slot.written > 0 && slot.baseOffset !== undefined && !slot.offsetUnknown ? { baseOffset: slot.baseOffset.toString() } : {}),
  }))
  const unknown = partitions.some((p) => p.unknown > 0)
  const written = partitions.some((p) => p.written > 0)
  const outcome = unknown ? 'unknown' : written ? 'partial' : 'not-written'
  const topics = [...new Set(slots.map((slot) => slot.topic))]
  const summary = partitions
    .filter((p) => p.written !== p.records)
    .map((p) => `${p.topic}[${p.partition}]: ${p.written} written, ${p.notWritten} not written${p.unknown > 0 ? `, ${p.unknown} may or may not be written` : ''}`)
    .join('; ')
  const meaning =
    outcome === 'unknown'
      ? ` Records marked "may or may not be written" ${base.context.reason === 'delivery-timeout' ? 'got no answer before the delivery timeout' : 'went out in a request that got no answer, or an answer that does not rule out the write, before this failure'}: sending them again may duplicate them.`
      : outcome === 'partial'
        ? ' Sending only the records not written cannot duplicate anything.'
        : ' Nothing was written: sending again cannot duplicate anything.'
  return new KafkitError(base.code, `${base.message} (${summary}).${meaning}`, {
    cause: base.cause ?? cause,
    retriable: base.retriable,
    context: { ...base.context, ...(topics.length === 1 ? { topic: topics[0] } : { topics }), outcome, partitions },
  })
}
