/**
 * kafkit's own produce path, designed along the Java client's lines, with kafkajs as the
 * wire layer (cluster, connections, metadata, request encoding):
 *
 * - A record's partition is chosen once, when it is queued. Each partition has a queue of
 *   records and at most one batch in flight; a batch gets its producer id, epoch and
 *   sequence once, when it is first sent, and keeps them on every retry. Sequences are
 *   never reused for other records, so the broker's duplicate check makes every retry safe.
 * - Retriable failures (leader moves, a broker down, not enough replicas, timeouts, lost
 *   connections) are retried in order until the delivery timeout, not a retry count: a
 *   failover that leaves a quorum up costs the caller nothing but latency.
 * - A sequence error (`OUT_OF_ORDER_SEQUENCE_NUMBER`, `UNKNOWN_PRODUCER_ID`,
 *   `INVALID_PRODUCER_EPOCH`) means the broker did not write the batch: the partition moves
 *   to a new producer id and the same records are sent again (idempotent producers), or the
 *   batch fails (transactional ones, whose transaction must abort).
 * - Every record's outcome is known: a send resolves only when the broker acknowledged every
 *   partition it wrote to, and otherwise rejects with what was written, not written or
 *   unknown per partition (see delivery-report.ts).
 * - Two checks on the broker's answers: a partition missing from an answer is not a success,
 *   and an acknowledged offset at or below one already acknowledged for the partition is
 *   a stale duplicate-cache answer, not a success.
 */
import { KafkitError } from '../../errors.js'
import { toKafkitError } from './errors.js'
import { ByteBudget, DEFAULT_MAX_QUEUED_BYTES, MAX_TIMER_MS } from './byte-budget.js'
import { adaptPartitioner } from './partitioning.js'
import type { EngineBroker, EngineCluster, ProduceAnswer } from './engine-internals.js'
import { engineErrorOf, protocolError, sendProduce, topicErrorCodes, UNKNOWN_TOPIC_OR_PARTITION } from './engine-internals.js'
import { TopicPresence } from './topic-presence.js'
import { isTopicAuthorizationFailure, TOPIC_AUTHORIZATION_FAILED, topicAuthorizationError } from './topic-authorization.js'
import { SendOp, type SendSlot } from './delivery-report.js'
import { type Identity, type IdentitySource, isSequenceError } from './identity.js'
import type { Partitioner, RecordMetadata, WireMessage, WireTopicMessages } from './types.js'

/** Settings of one delivery path (one producer). */
export interface DeliveryOptions {
  cluster: EngineCluster
  partitioner: Partitioner
  /** Producer id, epoch and sequences: idempotent or transactional producers; none for plain ones. */
  identity: IdentitySource | undefined
  transactionalId?: string
  deliveryTimeoutMs: number
  requestTimeoutMs: number
  /** Produce requests in flight per broker (each partition has at most one batch in flight). */
  maxInFlightRequests: number
  /** A batch stops growing past this many bytes of keys, values and headers. */
  maxBatchBytes: number
  /**
   * Bytes of keys, values and headers the producer holds for sends not yet settled (queued,
   * in flight, retried). A send that would go past it waits for room, in call order, within
   * its delivery timeout (Java's `buffer.memory` and `max.block.ms`); one larger than the
   * whole bound is let in when nothing else is held.
   * @default DEFAULT_MAX_QUEUED_BYTES
   */
  maxQueuedBytes?: number
  /** Retries of the metadata of a topic the cluster does not know yet. */
  unknownTopicRetries: number
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void
}

/** Request settings that one batch shares with every batch of its request. */
export interface RequestSettings {
  acks: -1 | 0 | 1
  ackTimeoutMs: number
  /** kafkajs compression code. */
  compression: number
}

interface Piece {
  op: SendOp
  slot: SendSlot
  messages: WireMessage[]
  bytes: number
  settings: RequestSettings
  /** An earlier batch carrying these records may have reached the log (kept across a new producer id). */
  maybeWritten?: boolean
}

interface Batch {
  queue: PartitionQueue
  pieces: Piece[]
  messages: WireMessage[]
  settings: RequestSettings
  identity: Identity
  baseSequence: number
  deadline: number
  attempts: number
  /** An attempt may have reached the log: any answer but a refusal before the append, or none. */
  maybeWritten: boolean
  bytes: number
  retryAt: number
  lastError: unknown
}

class PartitionQueue {
  readonly pending: Piece[] = []
  batch: Batch | undefined
  inFlight = false
  identity: Identity | undefined
  nextSequence = 0
  needsNewIdentity = false
  /** Last offset acknowledged to this producer on this partition. */
  lastOffset = -1n

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}
}

// Errors with which a broker refuses a batch before appending it: nothing of it is in the log.
// Any other answer (NOT_LEADER_OR_FOLLOWER after an append that waited for replicas, a
// timeout, a storage error, an unknown code) may come after the append.
const REFUSED_BEFORE_APPEND = new Set([
  'NOT_ENOUGH_REPLICAS',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_REQUIRED_ACKS',
  'INVALID_TIMESTAMP',
  'INVALID_TOPIC_EXCEPTION',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'INVALID_TXN_STATE',
])
// Topic errors with which kafkajs fails a whole metadata request: a topic answered with one
// of them is taken out of the request.
const SET_ASIDE_ERRORS = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'TOPIC_AUTHORIZATION_FAILED', 'INVALID_TOPIC_EXCEPTION'])
const setAside = (code: number) => code !== 0 && SET_ASIDE_ERRORS.has(protocolError(code).type)
const unauthorizedCode = (code: number) => code !== 0 && protocolError(code).type === TOPIC_AUTHORIZATION_FAILED
// A Metadata request that asks again for set-aside topics waits at most this long.
const PROBE_TIMEOUT_MS = 5000
// One produce request carries at most this many bytes of records (plus one batch over it).
const MAX_REQUEST_BYTES = 4 * 1024 * 1024
const INITIAL_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 1000
// Sequences wrap to 0 after 2^31 - 1, as the broker expects.
const SEQUENCE_SPACE = 2 ** 31

/** The delivery path of one producer. */
export class Delivery {
  readonly #options: DeliveryOptions
  readonly #partition: ReturnType<typeof adaptPartitioner>
  /** Every partition this producer wrote to: its sequence state lives as long as the producer. */
  readonly #queues = new Map<string, PartitionQueue>()
  /** The partitions with records queued or a batch to send. */
  readonly #active = new Set<PartitionQueue>()
  readonly #busy = new Map<number, number>()
  #timer: NodeJS.Timeout | undefined
  #timerAt = Infinity
  #refreshing: Promise<void> | undefined
  /** Paces {@link #refreshSoon}: no refresh for leaderless queues before this time. */
  #nextRefreshAt = 0
  #refreshAttempt = 0
  /** Topics with queued records that the cluster refused, asked for on their own backoff. */
  readonly #presence = new TopicPresence()
  #pumpScheduled = false
  /** Every send not yet settled, queued or still entering. */
  #outstanding = new Set<Promise<unknown>>()
  /** Background work that may touch the cluster (metadata refreshes, producer id requests). */
  #background = new Set<Promise<unknown>>()
  /** Set by {@link flush}: new sends are refused from then on. */
  #closing = false
  /** Sends still partitioning (metadata, prepare), in call order: they queue one after the other. */
  #entry = new Map<string, Promise<unknown>>()
  #closed = false
  /** Bytes held for sends let in and not yet settled; see {@link DeliveryOptions.maxQueuedBytes}. */
  readonly #budget: ByteBudget

  constructor(options: DeliveryOptions) {
    this.#options = options
    this.#budget = new ByteBudget(options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES, options.deliveryTimeoutMs)
    this.#partition = adaptPartitioner(options.partitioner)
  }

  /** Bytes of keys, values and headers held for sends not yet settled. */
  get queuedBytes(): number {
    return this.#budget.held
  }

  /**
   * Queues every record and resolves once all are acknowledged; see the file comment.
   * `prepare` runs after partitioning and before anything is queued (a transaction adds
   * its partitions there); when it throws, nothing is sent.
   */
  send(batch: WireTopicMessages[], settings: RequestSettings, prepare?: (partitions: { topic: string; partition: number }[]) => Promise<void>): Promise<RecordMetadata[]> {
    if (this.#closing) return Promise.reject(new KafkitError('KAFKIT_ABORTED', 'The producer is disconnecting', { context: { outcome: 'not-written' } }))
    const op = new SendOp(Date.now() + this.#options.deliveryTimeoutMs)
    // Sends to the same topic enter in call order, so two sends of one caller cannot swap
    // places while one of them waits for metadata; sends to other topics do not wait for it.
    const topics = [...new Set(batch.map((entry) => entry.topic))]
    const before = topics.map((topic) => this.#entry.get(topic)).filter((p): p is Promise<unknown> => p !== undefined)
    const entered = (before.length === 0 ? Promise.resolve() : Promise.all(before)).then(() => this.#enter(op, batch, settings, prepare))
    const settledEntry = entered.catch(() => {})
    for (const topic of topics) this.#entry.set(topic, settledEntry)
    void settledEntry.then(() => {
      for (const topic of topics) if (this.#entry.get(topic) === settledEntry) this.#entry.delete(topic)
    })
    const result = entered.then(() => op.promise)
    // Registered at once, so a disconnect waits for it, whether it fails entering or later.
    const tracked = result.catch(() => {})
    this.#outstanding.add(tracked)
    void tracked.then(() => this.#outstanding.delete(tracked))
    return result
  }

  /** Partitions a send's records and queues them; when this throws, nothing of the send was queued. */
  async #enter(op: SendOp, batch: WireTopicMessages[], settings: RequestSettings, prepare?: (partitions: { topic: string; partition: number }[]) => Promise<void>): Promise<void> {
    const topics = [...new Set(batch.map((entry) => entry.topic))]
    try {
      await this.#ensureMetadata(topics, op.deadline)
      const pieces = this.#split(op, batch, settings)
      if (pieces.length === 0) {
        op.empty()
        return
      }
      const bytes = pieces.reduce((sum, piece) => sum + piece.bytes, 0)
      await this.#budget.reserve(bytes, op.deadline)
      // Held until the whole send settles; given back at once if it goes no further.
      let queued = false
      try {
        if (prepare !== undefined) {
          try {
            await prepare([...op.slots.values()].map(({ topic, partition }) => ({ topic, partition })))
          } catch (error) {
            // The coordinator refused a topic of this send (AddPartitionsToTxn): no WRITE on it.
            throw isTopicAuthorizationFailure(error) ? topicAuthorizationError(topics, 'transaction', error) : error
          }
        }
        if (this.#closed) throw new KafkitError('KAFKIT_ABORTED', 'The producer is disconnected')
        for (const piece of pieces) {
          op.opened()
          const queue = this.#queue(piece.slot.topic, piece.slot.partition)
          queue.pending.push(piece)
          this.#active.add(queue)
        }
        queued = true
      } finally {
        if (queued) {
          const release = () => this.#budget.release(bytes)
          op.promise.then(release, release)
        } else this.#budget.release(bytes)
      }
      this.#schedule()
    } catch (error) {
      // Nothing of this send was queued: say so, as a failed send after queueing would.
      const wrapped = toKafkitError(error, topics.length === 1 ? { topic: topics[0] } : { topics }, 'Send')
      if (wrapped.context.outcome === undefined) wrapped.context.outcome = 'not-written'
      throw wrapped
    }
  }

  #split(op: SendOp, batch: WireTopicMessages[], settings: RequestSettings): Piece[] {
    const pieces: Piece[] = []
    const open = new Map<SendSlot, Piece>()
    for (const { topic, messages } of batch) {
      const metadata = this.#options.cluster.findTopicPartitionMetadata(topic)
      for (const message of messages) {
        const partition = this.#partition({ topic, partitionMetadata: metadata, message })
        if (!Number.isInteger(partition) || partition < 0 || partition >= metadata.length) {
          throw new KafkitError('KAFKIT_CONFIG', `the partitioner chose partition ${partition} of topic '${topic}', which has partitions 0..${metadata.length - 1}`, { context: { topic } })
        }
        const slot = op.slot(topic, partition)
        slot.records++
        const size = sizeOf(message)
        let piece = open.get(slot)
        // A send larger than a batch goes as several pieces, in order.
        if (piece === undefined || (piece.messages.length > 0 && piece.bytes + size > this.#options.maxBatchBytes)) {
          open.set(slot, (piece = { op, slot, messages: [], bytes: 0, settings }))
          pieces.push(piece)
        }
        piece.messages.push(message)
        piece.bytes += size
      }
    }
    return pieces
  }

  /**
   * Refuses new sends, then resolves once every send made before has settled (each is
   * bounded by its delivery timeout).
   */
  async flush(): Promise<void> {
    this.#closing = true
    while (this.#outstanding.size > 0) await Promise.all([...this.#outstanding])
  }


  /**
   * Stops the timers and waits for background cluster work (a metadata refresh, a producer
   * id request) to end, so nothing reconnects after the caller disconnects the cluster. Call
   * after {@link flush}; anything still queued then fails as aborted.
   */
  async close(): Promise<void> {
    this.#closing = true
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = Infinity
    const aborted = new KafkitError('KAFKIT_ABORTED', 'The producer was disconnected before these records were acknowledged', { retriable: true })
    this.#budget.close()
    for (const queue of this.#active) {
      if (queue.batch !== undefined && !queue.inFlight) this.#fail(queue.batch, aborted)
      this.#dropPending(queue, aborted)
    }
    while (this.#background.size > 0) await Promise.all([...this.#background])
  }

  /** Runs cluster work in the background, tracked so {@link close} can wait for it. */
  #inBackground<T>(work: Promise<T>): Promise<T> {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    )
    this.#background.add(tracked)
    void tracked.then(() => this.#background.delete(tracked))
    return work
  }

  #queue(topic: string, partition: number): PartitionQueue {
    const key = `${topic}\u0000${partition}`
    let queue = this.#queues.get(key)
    if (queue === undefined) this.#queues.set(key, (queue = new PartitionQueue(topic, partition)))
    return queue
  }

  /** Metadata of `topics`, retried until the deadline (an unknown topic only `unknownTopicRetries` times). */
  async #ensureMetadata(topics: string[], deadline: number): Promise<void> {
    const { cluster } = this.#options
    for (let attempt = 0; ; attempt++) {
      try {
        if (!cluster.isConnected()) await cluster.connect()
        await cluster.addMultipleTargetTopics(topics)
        await cluster.refreshMetadataIfNecessary()
        const missing = topics.filter((topic) => cluster.findTopicPartitionMetadata(topic).length === 0)
        if (missing.length === 0) return
        throw Object.assign(engineErrorOf(UNKNOWN_TOPIC_OR_PARTITION), { topics: missing })
      } catch (error) {
        const type = (error as { type?: string }).type ?? ''
        const unknownTopic = type === 'UNKNOWN_TOPIC_OR_PARTITION'
        const retriable = (error as { retriable?: boolean }).retriable === true || isConnectionError(error)
        if (SET_ASIDE_ERRORS.has(type) && Date.now() < deadline) {
          const asked = await this.#setAsideMissing(topics).catch(() => undefined)
          // A topic of this send the principal may not describe: no retry changes that, and
          // the other topics of the send are not written either (nothing of it is queued).
          if (asked !== undefined && asked.unauthorized.length > 0) throw topicAuthorizationError(asked.unauthorized, 'metadata', error)
          // The topic the cluster refused may be another one this producer wrote to, since deleted.
          if (asked?.tookOut === true) continue
        }
        if (!retriable || Date.now() + backoff(attempt) >= deadline || (unknownTopic && attempt >= this.#options.unknownTopicRetries)) throw error
        await sleep(backoff(attempt))
        if (!unknownTopic) await this.#refresh()
      }
    }
  }

  #schedule(): void {
    if (this.#pumpScheduled) return
    this.#pumpScheduled = true
    queueMicrotask(() => {
      this.#pumpScheduled = false
      this.#pump()
    })
  }

  #wakeAt(at: number): void {
    if (this.#closed || at >= this.#timerAt) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#timerAt = Infinity
      this.#pump()
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())))
  }

  /** Forms and sends what can go now: per leader, the next batch of every partition without one in flight. */
  #pump(): void {
    if (this.#closed) return
    const now = Date.now()
    const { cluster, identity } = this.#options
    const ready = new Map<number, Batch[]>()
    let needRefresh = false
    const leaders = new Map<string, Map<number, number>>()
    for (const queue of this.#active) {
      if (queue.inFlight) continue
      if (queue.batch === undefined && queue.pending.length === 0) {
        this.#active.delete(queue)
        continue
      }
      const head = queue.batch
      if (head !== undefined && head.retryAt > now) {
        this.#wakeAt(Math.min(head.retryAt, head.deadline))
        continue
      }
      const deadline = head?.deadline ?? queue.pending[0]!.op.deadline
      if (deadline <= now) {
        this.#expire(queue)
        continue
      }
      this.#wakeAt(deadline)
      let byPartition = leaders.get(queue.topic)
      if (byPartition === undefined) {
        byPartition = new Map()
        for (const entry of safeMetadata(cluster, queue.topic)) byPartition.set(entry.partitionId, entry.leader)
        leaders.set(queue.topic, byPartition)
      }
      const leader = byPartition.get(queue.partition) ?? -1
      if (leader < 0) {
        // A topic set aside as missing is asked for on its own backoff, not on every pass.
        const dueAt = this.#presence.dueAt(queue.topic)
        if (dueAt === undefined || dueAt <= now) needRefresh = true
        else this.#wakeAt(dueAt)
        continue
      }
      if ((this.#busy.get(leader) ?? 0) >= this.#options.maxInFlightRequests) continue
      if (head === undefined) {
        if (identity !== undefined) {
          const current = identity.current()
          if (queue.needsNewIdentity && !identity.renewable) {
            // A transaction whose batch failed can only abort: what it still queued is not sent.
            this.#dropPending(queue, new KafkitError('KAFKIT_KAFKA', `an earlier batch of this transaction to ${queue.topic}[${queue.partition}] failed: the transaction must abort`, { retriable: true }))
            continue
          }
          if (current === undefined || (queue.needsNewIdentity && queue.identity === current)) {
            // Asks for a new producer id; the queue waits for it.
            void this.#inBackground(identity.renew(current)).then(() => this.#schedule(), (error: unknown) => this.#identityFailed(error))
            continue
          }
          if (queue.identity !== current) {
            queue.identity = current
            queue.nextSequence = 0
          }
          queue.needsNewIdentity = false
        }
      }
      const batch = (queue.batch ??= this.#formBatch(queue))
      const list = ready.get(leader) ?? []
      const first = list[0]
      // One request, one producer id and epoch (the Produce encoder writes them per request),
      // one set of settings, and a bounded size: the rest goes in the next request.
      if (first !== undefined && (!sameSettings(first.settings, batch.settings) || !sameIdentity(first.identity, batch.identity))) continue
      if (first !== undefined && list.reduce((sum, b) => sum + b.bytes, 0) + batch.bytes > MAX_REQUEST_BYTES) continue
      list.push(batch)
      ready.set(leader, list)
    }
    if (needRefresh) this.#refreshSoon(now)
    else this.#refreshAttempt = 0
    for (const [leader, batches] of ready) {
      this.#dispatch(leader, batches).catch((error: unknown) => this.#safeLog('error', `kafkit delivery: unexpected failure in a produce dispatch: ${String(error)}`))
    }
  }

  #formBatch(queue: PartitionQueue): Batch {
    const pieces: Piece[] = []
    const messages: WireMessage[] = []
    let bytes = 0
    const { settings } = queue.pending[0]!
    while (queue.pending.length > 0) {
      const next = queue.pending[0]!
      if (pieces.length > 0 && (bytes + next.bytes > this.#options.maxBatchBytes || !sameSettings(settings, next.settings))) break
      queue.pending.shift()
      pieces.push(next)
      for (const message of next.messages) messages.push(message)
      bytes += next.bytes
    }
    const baseSequence = queue.nextSequence
    queue.nextSequence = (queue.nextSequence + messages.length) % SEQUENCE_SPACE
    return {
      queue,
      pieces,
      messages,
      settings,
      identity: queue.identity ?? { producerId: -1, epoch: 0 },
      baseSequence,
      deadline: Math.min(...pieces.map((piece) => piece.op.deadline)),
      attempts: 0,
      maybeWritten: pieces.some((piece) => piece.maybeWritten === true),
      bytes,
      retryAt: 0,
      lastError: undefined,
    }
  }

  async #dispatch(leader: number, batches: Batch[]): Promise<void> {
    this.#busy.set(leader, (this.#busy.get(leader) ?? 0) + 1)
    for (const batch of batches) {
      batch.queue.inFlight = true
      batch.attempts++
    }
    const { settings } = batches[0]!
    let answer: ProduceAnswer | undefined
    let failure: unknown
    let sent = false
    try {
      const broker: EngineBroker = await this.#options.cluster.findBroker({ nodeId: leader })
      const byTopic = new Map<string, { partition: number; firstSequence: number; messages: WireMessage[] }[]>()
      for (const batch of batches) {
        const list = byTopic.get(batch.queue.topic) ?? []
        list.push({ partition: batch.queue.partition, firstSequence: batch.baseSequence, messages: batch.messages })
        byTopic.set(batch.queue.topic, list)
      }
      const identity = batches[0]!.identity
      sent = true
      answer = await sendProduce(
        broker,
        {
          acks: settings.acks,
          timeout: settings.ackTimeoutMs,
          compression: settings.compression,
          transactionalId: this.#options.transactionalId,
          producerId: identity.producerId,
          producerEpoch: identity.epoch,
          topicData: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        },
        Math.max(this.#options.requestTimeoutMs, settings.ackTimeoutMs + 5000),
      )
    } catch (error) {
      failure = error
    }
    this.#busy.set(leader, (this.#busy.get(leader) ?? 1) - 1)
    for (const batch of batches) batch.queue.inFlight = false
    if (failure !== undefined) {
      const closed = failure as { name?: string; host?: string; port?: number }
      if (closed.name === 'KafkaJSConnectionClosedError' && closed.host !== undefined && closed.port !== undefined) {
        this.#options.cluster.removeBroker({ host: closed.host, port: closed.port })
      }
      const retriable = retriableChain(failure)
      this.#safeLog('warn', `Produce request to broker ${leader} failed${retriable ? ', retrying' : ''}: ${messageOf(failure)}`, { broker: leader, retriable })
      for (const batch of batches) {
        if (sent) batch.maybeWritten = true
        if (retriable) this.#retryLater(batch, failure)
        else this.#fail(batch, failure)
      }
      void this.#refresh()
    } else {
      const byPartition = new Map<string, ProduceAnswer['topics'][number]['partitions'][number]>()
      for (const topic of answer?.topics ?? []) for (const entry of topic.partitions) byPartition.set(`${topic.topicName}\u0000${entry.partition}`, entry)
      let stale = false
      for (const batch of batches) {
        if (settings.acks === 0) {
          this.#succeed(batch, undefined, '-1')
          continue
        }
        const entry = byPartition.get(`${batch.queue.topic}\u0000${batch.queue.partition}`)
        if (entry === undefined) {
          // Not an acknowledgement: the same batch (same sequence) goes again.
          batch.maybeWritten = true
          this.#retryLater(batch, new KafkitError('KAFKIT_KAFKA', `the broker's produce answer lacks ${batch.queue.topic}[${batch.queue.partition}]`, { retriable: true }))
          continue
        }
        if (this.#answered(batch, entry)) stale = true
      }
      if (stale) void this.#refresh()
    }
    this.#schedule()
  }

  /** Acts on one partition's answer; returns whether metadata looks stale. */
  #answered(batch: Batch, entry: { errorCode: number; baseOffset: string; logAppendTime?: string }): boolean {
    const { queue } = batch
    if (entry.errorCode === 0) {
      const base = BigInt(entry.baseOffset)
      if (this.#options.identity !== undefined && base >= 0n && base <= queue.lastOffset) {
        // Offsets of records this producer already had acknowledged: the broker answered a
        // reused sequence from its duplicate cache. These records are not known to be written.
        batch.maybeWritten = true
        const stale = queue.lastOffset
        // The partition also moves to a new producer id; a topic recreated under the same name
        // (offsets from 0 again) costs one failed batch, not every later one.
        queue.lastOffset = -1n
        this.#fail(batch, new KafkitError('KAFKIT_KAFKA', `the broker acknowledged ${queue.topic}[${queue.partition}] at offset ${base}, at or below offset ${stale} it had already acknowledged to this producer: a stale duplicate answer, not a write`, { retriable: true }))
        return false
      }
      this.#succeed(batch, base >= 0n ? base : undefined, entry.logAppendTime ?? '-1')
      return false
    }
    const error = protocolError(entry.errorCode)
    const engineError = engineErrorOf(entry.errorCode)
    if (error.type === 'DUPLICATE_SEQUENCE_NUMBER') {
      // Written by an earlier attempt of this batch; the broker no longer says where.
      this.#succeed(batch, undefined, '-1')
      return false
    }
    if (isSequenceError(error.type) && this.#options.identity !== undefined) {
      const verdict = this.#options.identity.onSequenceError(error.type)
      if (verdict === 'renew') {
        // The broker did not write this batch: its records go again under a new producer id.
        this.#safeLog('warn', `${error.type} on ${queue.topic}[${queue.partition}]: sending the batch again under a new producer id`, { topic: queue.topic, partition: queue.partition })
        if (batch.maybeWritten) for (const piece of batch.pieces) piece.maybeWritten = true
        queue.pending.unshift(...batch.pieces)
        queue.batch = undefined
        queue.needsNewIdentity = true
        return false
      }
      this.#fail(batch, engineError, 'not-written')
      return false
    }
    if (error.type === TOPIC_AUTHORIZATION_FAILED) {
      // The principal may describe the topic (it has its metadata) but not write it.
      this.#fail(batch, topicAuthorizationError([queue.topic], 'produce', engineError))
      return false
    }
    if (!REFUSED_BEFORE_APPEND.has(error.type)) batch.maybeWritten = true
    if (error.retriable) {
      this.#retryLater(batch, engineError)
      return error.type === 'NOT_LEADER_FOR_PARTITION' || error.type === 'LEADER_NOT_AVAILABLE' || error.type === 'UNKNOWN_TOPIC_OR_PARTITION' || error.type === 'KAFKA_STORAGE_ERROR'
    }
    this.#fail(batch, engineError)
    return false
  }

  #succeed(batch: Batch, base: bigint | undefined, logAppendTime: string): void {
    const { queue } = batch
    queue.batch = undefined
    if (base !== undefined) {
      const last = base + BigInt(batch.messages.length - 1)
      if (last > queue.lastOffset) queue.lastOffset = last
    }
    let index = 0
    for (const piece of batch.pieces) {
      piece.op.written(piece.slot, piece.messages.length, base === undefined ? undefined : base + BigInt(index), logAppendTime)
      index += piece.messages.length
    }
  }

  #retryLater(batch: Batch, error: unknown): void {
    batch.lastError = error
    const delay = backoff(batch.attempts - 1)
    batch.retryAt = Date.now() + delay
    if (batch.retryAt >= batch.deadline) {
      this.#expire(batch.queue)
      return
    }
    this.#wakeAt(batch.retryAt)
  }

  /** Fails a batch; `outcome` defaults to what its attempts allow one to know. */
  #fail(batch: Batch, error: unknown, outcome?: 'not-written' | 'unknown'): void {
    const { queue } = batch
    queue.batch = undefined
    const result = outcome ?? (batch.maybeWritten ? 'unknown' : 'not-written')
    if (queue.identity !== undefined) {
      // A refused batch left the broker's sequence where it was: take its range back. One that
      // may have been written leaves the sequence unknown: the partition needs a new producer id.
      // Only a batch the broker cannot hold gives its range back: never sent, or refused
      // before the append on every attempt. A reuse of a range the broker holds would be
      // answered from its duplicate cache as if written.
      if (result === 'not-written' && !batch.maybeWritten && queue.identity === batch.identity && queue.nextSequence === (batch.baseSequence + batch.messages.length) % SEQUENCE_SPACE) {
        queue.nextSequence = batch.baseSequence
      } else queue.needsNewIdentity = true
      this.#options.identity?.onBatchFailed(result)
    }
    for (const piece of batch.pieces) piece.op.failed(piece.slot, piece.messages.length, result, error)
  }

  /** The delivery timeout passed for the head of a queue: it fails, as do pending records past theirs. */
  #expire(queue: PartitionQueue): void {
    const now = Date.now()
    const timeout = (last: unknown) =>
      new KafkitError('KAFKIT_KAFKA', `delivery timeout: not acknowledged within ${this.#options.deliveryTimeoutMs} ms${last === undefined ? '' : ` (last error: ${messageOf(last)})`}`, {
        cause: last,
        retriable: true,
        context: { reason: 'delivery-timeout', ...((last as { type?: string })?.type ? { kafkaError: (last as { type?: string }).type } : {}) },
      })
    if (queue.batch !== undefined && queue.batch.deadline <= Math.max(now, queue.batch.retryAt)) this.#fail(queue.batch, timeout(queue.batch.lastError))
    // Records that never had a leader: the cluster's last word on their topic, if it refused it.
    const refused = this.#presence.code(queue.topic)
    const waited = refused === undefined ? undefined : engineErrorOf(refused)
    while (queue.pending.length > 0 && queue.pending[0]!.op.deadline <= now) {
      const piece = queue.pending.shift()!
      const outcome = piece.maybeWritten ? 'unknown' : 'not-written'
      this.#options.identity?.onBatchFailed(outcome)
      piece.op.failed(piece.slot, piece.messages.length, outcome, timeout(waited))
    }
    this.#schedule()
  }

  #dropPending(queue: PartitionQueue, error: unknown): void {
    for (const piece of queue.pending.splice(0)) {
      const outcome = piece.maybeWritten ? 'unknown' : 'not-written'
      this.#options.identity?.onBatchFailed(outcome)
      piece.op.failed(piece.slot, piece.messages.length, outcome, error)
    }
  }

  #identityFailed(error: unknown): void {
    if (!retriableChain(error)) {
      // No producer id can be had (an ACL, a broker too old): what waits for one fails now.
      this.#safeLog('error', `Could not get a producer id: ${messageOf(error)}`)
      const current = this.#options.identity?.current()
      for (const queue of this.#active) {
        if (queue.batch === undefined && !queue.inFlight && (current === undefined || (queue.needsNewIdentity && queue.identity === current))) this.#dropPending(queue, error)
      }
      return
    }
    this.#safeLog('warn', `Could not get a producer id, retrying: ${messageOf(error)}`)
    this.#wakeAt(Date.now() + MAX_BACKOFF_MS)
  }

  /** The topics queued records need, and every send still entering (its records are not queued yet). */
  #neededTopics(): Set<string> {
    return new Set([...[...this.#active].map((queue) => queue.topic), ...this.#entry.keys()])
  }

  /**
   * Asks the cluster about every metadata topic and `requested` at once, and takes the ones
   * it refuses out of kafkajs' metadata request (all but `requested`, whose send decides):
   * those with records queued are set aside and asked for on their own backoff, or failed at
   * once when the principal may not describe them (see {@link #refuse}); the others are
   * forgotten (a later send adds its topic again). Returns whether any went, and the
   * `requested` topics the principal may not describe.
   */
  async #setAsideMissing(requested: string[]): Promise<{ tookOut: boolean; unauthorized: string[] }> {
    const { cluster } = this.#options
    const asked = [...new Set([...cluster.targetTopics, ...requested])]
    if (asked.length === 0) return { tookOut: false, unauthorized: [] }
    const codes = await topicErrorCodes(await cluster.brokerPool.findConnectedBroker(), asked, this.#options.requestTimeoutMs)
    const needed = this.#neededTopics()
    const now = Date.now()
    let tookOut = false
    const unauthorized: string[] = []
    for (const [topic, code] of codes) {
      if (!setAside(code)) continue
      if (requested.includes(topic)) {
        if (unauthorizedCode(code)) unauthorized.push(topic)
        continue
      }
      // kafkajs may have replaced its set since: read it each time. A refused topic already
      // out of it (taken out by another caller meanwhile) counts too: the request can go again.
      cluster.targetTopics.delete(topic)
      tookOut = true
      if (unauthorizedCode(code)) this.#refuse(topic)
      else if (needed.has(topic)) {
        this.#presence.markAbsent(topic, now, code)
        this.#safeLog('warn', `Topic '${topic}' is refused by the cluster (${protocolError(code).type}): its queued records wait for it until their delivery timeout`, { topic })
      } else this.#presence.forget(topic)
    }
    return { tookOut, unauthorized }
  }

  /**
   * The cluster says the principal may not describe `topic`: its queued records fail now
   * rather than at their delivery timeout. A deleted topic may come back by itself; an ACL
   * appears only by an operator's hand, and the Java client too fails a send at the first
   * refusal. A batch in flight is left to its answer (a refusal too, or written).
   */
  #refuse(topic: string): void {
    this.#presence.forget(topic)
    let failed = 0
    for (const queue of this.#active) {
      if (queue.topic !== topic) continue
      const error = topicAuthorizationError([topic], 'metadata')
      if (queue.batch !== undefined && !queue.inFlight) {
        failed += queue.batch.messages.length
        this.#fail(queue.batch, error)
      }
      failed += queue.pending.reduce((sum, piece) => sum + piece.messages.length, 0)
      this.#dropPending(queue, error)
    }
    if (failed > 0) this.#safeLog('error', `Topic '${topic}' is refused by the cluster (${TOPIC_AUTHORIZATION_FAILED}): ${failed} queued records fail, the principal may not describe it`, { topic })
    this.#schedule()
  }

  /**
   * Puts back into kafkajs' metadata request every topic queued records need that is neither
   * there nor set aside: kafkajs restores an older copy of its set when a refresh for a new
   * topic fails, which can drop a topic put back meanwhile.
   */
  #restoreTargets(): void {
    const targets = this.#options.cluster.targetTopics
    for (const queue of this.#active) if (this.#presence.dueAt(queue.topic) === undefined) targets.add(queue.topic)
  }

  /**
   * Asks again for the set-aside topics whose backoff passed; those the cluster knows again go
   * back into the metadata request. Returns whether any went back.
   */
  async #askAgain(): Promise<boolean> {
    const { cluster } = this.#options
    const needed = this.#neededTopics()
    for (const topic of this.#presence.topics()) if (!needed.has(topic)) this.#presence.forget(topic)
    const now = Date.now()
    const due = this.#presence.due(now)
    if (due.length === 0) return false
    const codes = await topicErrorCodes(await cluster.brokerPool.findConnectedBroker(), due, Math.min(this.#options.requestTimeoutMs, PROBE_TIMEOUT_MS))
    let back = false
    for (const topic of due) {
      const code = codes.get(topic) ?? UNKNOWN_TOPIC_OR_PARTITION
      if (unauthorizedCode(code)) {
        // A topic set aside as missing (deleted) that the principal may not describe now.
        this.#refuse(topic)
        continue
      }
      if (setAside(code)) {
        this.#presence.markAbsent(topic, now, code)
        continue
      }
      this.#presence.forget(topic)
      cluster.targetTopics.add(topic)
      back = true
      // It may be a new topic under the old name (deleted and created again): its offsets start
      // from 0, and an offset at or below the last one acknowledged is no stale answer there.
      for (const queue of this.#active) if (queue.topic === topic) queue.lastOffset = -1n
      this.#safeLog('info', `Topic '${topic}' is known to the cluster again: its queued records are sent`, { topic })
    }
    return back
  }

  /** Logs without letting a throwing logger break the delivery loop. */
  #safeLog(level: 'debug' | 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>): void {
    try {
      this.#options.log(level, message, extra)
    } catch {
      // A logger's failure is not the producer's.
    }
  }

  /**
   * A refresh for queues without a leader, paced: the first at once, then 100 ms doubling to
   * 1 s while some queue still has none (a failover, or a topic not yet everywhere).
   */
  #refreshSoon(now: number): void {
    if (now < this.#nextRefreshAt) {
      this.#wakeAt(this.#nextRefreshAt)
      return
    }
    this.#nextRefreshAt = Infinity
    const next = () => {
      this.#nextRefreshAt = Date.now() + backoff(this.#refreshAttempt++)
      this.#schedule()
    }
    void this.#refresh().then(next, next)
  }

  /** kafkajs' refresh of its metadata topics; the ones the cluster refuses are taken out of it (see #setAsideMissing) and the others refreshed. */
  async #refreshTargets(): Promise<void> {
    const { cluster } = this.#options
    try {
      await cluster.refreshMetadata()
    } catch (error) {
      // kafkajs fails the whole refresh when one topic in it is gone.
      if (!SET_ASIDE_ERRORS.has((error as { type?: string } | undefined)?.type ?? '') || !(await this.#setAsideMissing([])).tookOut) throw error
      await cluster.refreshMetadata()
    }
  }

  /** One metadata refresh at a time; its failure is logged, the next retry refreshes again. */
  #refresh(): Promise<void> {
    const { cluster } = this.#options
    if (this.#closed) return Promise.resolve()
    this.#refreshing ??= this.#inBackground((async () => {
      try {
        if (!cluster.isConnected()) await cluster.connect()
        this.#restoreTargets()
        await this.#refreshTargets()
        // The set-aside topics are asked about after the others' refresh, on their own: a
        // probe that hangs does not hold up the leaders of the topics that exist.
        let back = false
        try {
          back = await this.#askAgain()
        } catch (error) {
          this.#safeLog('debug', `Asking again for the topics set aside failed: ${messageOf(error)}`)
        }
        if (back) await this.#refreshTargets()
      } catch (error) {
        this.#safeLog('debug', `Metadata refresh failed: ${messageOf(error)}`)
      } finally {
        this.#refreshing = undefined
      }
    })())
    return this.#refreshing
  }
}

function safeMetadata(cluster: EngineCluster, topic: string) {
  try {
    return cluster.findTopicPartitionMetadata(topic)
  } catch {
    return []
  }
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a === b || (String(a.producerId) === String(b.producerId) && a.epoch === b.epoch)
}

/**
 * Whether a failure is worth retrying: kafkajs wraps transient failures (a refused
 * connection, a timeout) in `KafkaJSNumberOfRetriesExceeded`, which says `retriable: false`
 * only because kafkajs itself stopped; the cause decides. Authentication failures never are.
 */
function retriableChain(error: unknown): boolean {
  for (let link = error as { name?: string; retriable?: boolean; cause?: unknown; originalError?: unknown } | undefined, depth = 0; link && depth < 10; depth++) {
    if (link.name === 'KafkaJSSASLAuthenticationError') return false
    if (isConnectionError(link) || link.retriable === true) return true
    link = (link.cause ?? link.originalError) as typeof link
  }
  return false
}

function sameSettings(a: RequestSettings, b: RequestSettings): boolean {
  return a.acks === b.acks && a.compression === b.compression && a.ackTimeoutMs === b.ackTimeoutMs
}

function sizeOf(message: WireMessage): number {
  let size = 16 + (message.key?.length ?? 0) + (message.value?.length ?? 0)
  if (message.headers) {
    for (const [name, value] of Object.entries(message.headers)) {
      const values = Array.isArray(value) ? value : value === undefined ? [] : [value]
      for (const one of values) size += name.length + one.length + 4
    }
  }
  return size
}

/** Exponential from 100 ms to 1 s, with ±20 % jitter (Java's retry.backoff.ms / retry.backoff.max.ms). */
function backoff(attempt: number): number {
  const base = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** Math.max(0, attempt))
  return Math.round(base * (0.8 + Math.random() * 0.4))
}

function isConnectionError(error: unknown): boolean {
  const name = (error as { name?: string }).name
  return name === 'KafkaJSConnectionError' || name === 'KafkaJSConnectionClosedError' || name === 'KafkaJSRequestTimeoutError' || name === 'KafkaJSBrokerNotFound' || name === 'KafkaJSLockTimeout'
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** An error's message for a log line (anything thrown, `undefined` included). */
const messageOf = (error: unknown) => String((error as Error | undefined)?.message ?? error)
