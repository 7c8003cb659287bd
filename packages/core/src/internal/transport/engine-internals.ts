/**
 * The parts of kafkajs 2.2.4 below its producer that kafkit's own delivery path stands on:
 * the cluster (connections, metadata, leaders), a broker's request channel, the Produce
 * request encoder, the protocol error table and the transaction manager (`eosManager`).
 *
 * kafkajs' producer send path loses acknowledged records on a leader failover (it keeps
 * answers per broker across retries, and rolls sequence numbers back after failed requests),
 * so kafkit sends produce requests itself. kafkajs is pinned to exactly 2.2.4 (frozen, no
 * release since): these internals cannot move under us, and {@link assertEngineInternals}
 * checks each one is where this file expects it (a unit test calls it).
 */
import kafkajs from 'kafkajs'
import apiKeys from 'kafkajs/src/protocol/requests/apiKeys.js'
import requestTable from 'kafkajs/src/protocol/requests/index.js'
import protocolErrors from 'kafkajs/src/protocol/error.js'
import Broker from 'kafkajs/src/broker/index.js'
import createEosManager from 'kafkajs/src/producer/eosManager/index.js'
import { FENCING_ERRORS } from './errors.js'

const { requests } = requestTable

/** Partition metadata as the cluster keeps it. */
export interface EnginePartitionMetadata {
  partitionId: number
  leader: number
  partitionErrorCode?: number
}

/** The protocol request object a kafkajs connection sends. */
export interface EngineProtocolRequest {
  request: { apiKey: number; apiVersion: number; apiName: string; expectResponse?: () => boolean; encode: () => Promise<unknown> }
  response: { decode: (payload: Buffer) => Promise<unknown>; parse: (data: unknown) => Promise<unknown> }
  requestTimeout?: number
}

/** A kafkajs broker: one connection pool to one node. */
export interface EngineBroker {
  readonly nodeId: number
  lookupRequest(apiKey: number, definition: unknown): (args: Record<string, unknown>) => EngineProtocolRequest
  isConnected(): boolean
  /** Whether this broker's metadata requests ask the cluster to create a missing topic. */
  readonly allowAutoTopicCreation?: boolean
}

/** The cluster's broker pool: the connections, and the metadata the cluster answers from. */
export interface EngineBrokerPool {
  /** Replaces the cluster's metadata with that of `topics` (fails when one of them is missing). */
  refreshMetadata(topics: string[]): Promise<void>
  findConnectedBroker(): Promise<EngineBroker>
}

/** A kafkajs cluster: brokers, metadata and leaders. */
export interface EngineCluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  isConnected(): boolean
  refreshMetadata(): Promise<void>
  refreshMetadataIfNecessary(): Promise<void>
  addMultipleTargetTopics(topics: string[]): Promise<void>
  findTopicPartitionMetadata(topic: string): EnginePartitionMetadata[]
  findBroker(query: { nodeId: number | string }): Promise<EngineBroker>
  removeBroker(address: { host: string; port: number }): void
  markOffsetAsCommitted(entry: { groupId: string; topic: string; partition: number; offset: string }): void
  /** The coordinator of a group (`coordinatorType` 0) or of a transactional id (1). */
  findGroupCoordinator(query: { groupId: string; coordinatorType: number }): Promise<EngineBroker & EngineTransactionCoordinator>
  /** The topics every metadata refresh asks for (kafkajs fails the refresh when one is missing). */
  targetTopics: Set<string>
  readonly brokerPool: EngineBrokerPool
}

/** The transaction coordinator's requests kafkit sends itself. */
export interface EngineTransactionCoordinator {
  endTxn(request: { transactionalId: string; producerId: number | string; producerEpoch: number; transactionResult: boolean }): Promise<unknown>
}

/** kafkajs' transaction manager: producer id and epoch, transaction coordinator requests. */
export interface EngineEosManager {
  getProducerId(): number
  getProducerEpoch(): number
  initProducerId(): Promise<void>
  isInitialized(): boolean
  isInTransaction(): boolean
  beginTransaction(): void
  addPartitionsToTransaction(topicData: { topic: string; partitions: { partition: number }[] }[]): Promise<void>
  sendOffsets(request: { consumerGroupId: string; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<void>
  commit(): Promise<void>
  abort(): Promise<void>
}

/** A decoded produce answer: per topic, per partition. */
export interface ProduceAnswer {
  topics: { topicName: string; partitions: { partition: number; errorCode: number; baseOffset: string; logAppendTime?: string; logStartOffset?: string }[] }[]
}

/** One Kafka protocol error as kafkajs knows it. */
export interface ProtocolErrorInfo {
  type: string
  code: number
  retriable: boolean
  message: string
}

type Client = InstanceType<typeof kafkajs.Kafka>
type ClusterFactory = (options: { metadataMaxAge: number; allowAutoTopicCreation: boolean; maxInFlightRequests: number | null; instrumentationEmitter: null }) => EngineCluster
type EngineLogger = { namespace(name: string): unknown }

function symbolOf(target: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(target).find((symbol) => symbol.description === description)
}

function missing(what: string): Error {
  return new Error(`kafkit needs kafkajs 2.2.4 exactly: ${what} was not found (is another kafkajs version installed?)`)
}

/** A new cluster of `client` (its brokers, TLS, SASL and timeouts), as its producers get one. */
export function createCluster(client: Client, options: { allowAutoTopicCreation: boolean; metadataMaxAgeMs?: number }): EngineCluster {
  const key = symbolOf(client, 'private:Kafka:createCluster')
  if (key === undefined) throw missing('Kafka#createCluster')
  const factory = (client as unknown as Record<symbol, ClusterFactory>)[key] as ClusterFactory
  return factory({
    metadataMaxAge: options.metadataMaxAgeMs ?? 300_000,
    allowAutoTopicCreation: options.allowAutoTopicCreation,
    // kafkit's sender keeps one produce request per broker in flight itself.
    maxInFlightRequests: null,
    instrumentationEmitter: null,
  })
}

function engineLogger(client: Client): EngineLogger {
  const key = symbolOf(client, 'private:Kafka:logger')
  if (key === undefined) throw missing('Kafka#logger')
  return (client as unknown as Record<symbol, EngineLogger>)[key] as EngineLogger
}

/** kafkajs' transaction manager over `cluster`; non-transactional ones only hand out producer ids. */
export function createTransactionManager(
  client: Client,
  cluster: EngineCluster,
  options: { transactionalId?: string; transactionTimeoutMs?: number },
): EngineEosManager {
  return createEosManager({
    logger: engineLogger(client).namespace('Producer'),
    cluster,
    transactionTimeout: options.transactionTimeoutMs ?? 60_000,
    transactional: options.transactionalId !== undefined,
    transactionalId: options.transactionalId,
  }) as EngineEosManager
}

const answerAsIs = async (data: unknown) => data

/** Sends one request through the broker's channel and returns its decoded answer, errors included (not kafkajs' parser, which throws at the first). */
async function sendAsIs(broker: EngineBroker, apiKey: number, definition: unknown, args: Record<string, unknown>, requestTimeoutMs?: number): Promise<unknown> {
  const built = broker.lookupRequest(apiKey, definition)(args)
  return brokerSend(broker)({ request: built.request, response: { decode: built.response.decode, parse: answerAsIs }, ...(requestTimeoutMs === undefined ? {} : { requestTimeout: requestTimeoutMs }) })
}

/**
 * Sends one Produce request and returns the broker's answer for every partition, errors
 * included (kafkajs' own parser throws the first partition error and drops the rest).
 */
export async function sendProduce(broker: EngineBroker, args: Record<string, unknown>, requestTimeoutMs?: number): Promise<ProduceAnswer> {
  return (await sendAsIs(broker, apiKeys.Produce, requests.Produce, args, requestTimeoutMs)) as ProduceAnswer
}

/**
 * The topic-level error code of each of `topics` in one Metadata request (0 for a topic the
 * cluster knows), all of them: kafkajs' own parser throws at the first topic in error.
 */
export async function topicErrorCodes(broker: EngineBroker, topics: string[], requestTimeoutMs?: number): Promise<Map<string, number>> {
  const answer = (await sendAsIs(broker, apiKeys.Metadata, requests.Metadata, { topics, allowAutoTopicCreation: broker.allowAutoTopicCreation === true }, requestTimeoutMs)) as {
    topicMetadata?: { topic: string; topicErrorCode: number }[]
  }
  const codes = new Map<string, number>()
  for (const entry of answer.topicMetadata ?? []) codes.set(entry.topic, entry.topicErrorCode)
  // A topic the answer leaves out is not known to the cluster either.
  for (const topic of topics) if (!codes.has(topic)) codes.set(topic, UNKNOWN_TOPIC_OR_PARTITION)
  return codes
}

/** What the cluster answers a principal for its topics and its consumer group, as {@link probeAuthorization} asked. */
export interface AuthorizationProbe {
  /** Each topic's error code in one Metadata request (0: described); absent when the request failed. */
  topicCodes?: Map<string, number>
  /** The error of the group's coordinator lookup (undefined: found, or not asked). */
  groupError?: unknown
}

/**
 * Asks the cluster once, on a connection of its own (the client's brokers, TLS and SASL),
 * what it answers this principal for `topics` (Metadata) and for `groupId`
 * (FindCoordinator): the probe of a refusal kafkajs reports without naming the topic (its
 * parsers throw the first error code of an answer) or hides (a refused coordinator lookup
 * comes out as "Failed to find group coordinator"). Never throws: what it could not ask is absent.
 */
export async function probeAuthorization(client: Client, query: { topics: string[]; groupId?: string }, requestTimeoutMs?: number): Promise<AuthorizationProbe> {
  const cluster = createCluster(client, { allowAutoTopicCreation: false })
  const probe: AuthorizationProbe = {}
  try {
    await cluster.connect()
    const broker = (await cluster.brokerPool.findConnectedBroker()) as EngineBroker & { findGroupCoordinator(query: { groupId: string; coordinatorType: number }): Promise<unknown> }
    if (query.topics.length > 0) {
      const codes = await topicErrorCodes(broker, query.topics, requestTimeoutMs).catch(() => undefined)
      if (codes !== undefined) probe.topicCodes = codes
    }
    if (query.groupId !== undefined) {
      const groupError = await broker.findGroupCoordinator({ groupId: query.groupId, coordinatorType: GROUP_COORDINATOR }).then(
        () => undefined,
        (error: unknown) => error,
      )
      if (groupError !== undefined) probe.groupError = groupError
    }
  } catch {
    // Not connected: nothing learned.
  } finally {
    await cluster.disconnect().catch(() => {})
  }
  return probe
}

/** kafkajs' coordinator type of a consumer group. */
const GROUP_COORDINATOR = 0

/** The protocol code of UNKNOWN_TOPIC_OR_PARTITION. */
export const UNKNOWN_TOPIC_OR_PARTITION = 3

let sendKey: symbol | undefined
function brokerSend(broker: EngineBroker): (request: EngineProtocolRequest) => Promise<unknown> {
  // The broker's private sendRequest: it also drops the broker's connection when it closed.
  sendKey ??= symbolOf(Object.getPrototypeOf(broker) as object, 'private:Broker:sendRequest')
  if (sendKey === undefined) throw missing('Broker#sendRequest')
  const method = (broker as unknown as Record<symbol, ((request: EngineProtocolRequest) => Promise<unknown>) | undefined>)[sendKey]
  if (method === undefined) throw missing('Broker#sendRequest')
  return (request) => method.call(broker, request)
}

const byCode = new Map<number, ProtocolErrorInfo>(protocolErrors.errorCodes.map((entry) => [entry.code, entry]))
// Codes newer than kafkajs 2.2.4's table that kafkit acts on: the fencing ones.
const newerThanEngine = new Map<number, ProtocolErrorInfo>()
for (const [type, code] of FENCING_ERRORS) {
  if (!byCode.has(code)) newerThanEngine.set(code, { type, code, retriable: false, message: 'There is a newer producer with the same transactionalId which fences the current one' })
}

/** The protocol error of a code (an unknown code is a non-retriable UNKNOWN). */
export function protocolError(code: number): ProtocolErrorInfo {
  return byCode.get(code) ?? newerThanEngine.get(code) ?? { type: 'UNKNOWN', code, retriable: false, message: `Unknown error code ${code}` }
}

/** The kafkajs error object of a protocol error code, as kafkajs would throw it; a code kafkajs does not know but kafkit does keeps its name and code. */
export function engineErrorOf(code: number): Error {
  const newer = newerThanEngine.get(code)
  if (newer !== undefined) return new (kafkajs.KafkaJSProtocolError as unknown as new (info: ProtocolErrorInfo) => Error)(newer)
  return protocolErrors.createErrorFromCode(code) as Error
}

/**
 * Asks the coordinator of `transactionalId` to abort the transaction of this producer id and
 * epoch (EndTxn), past kafkajs' transaction manager (which will not send it once a commit
 * failed). It cannot undo a commit the coordinator took (that answers CONCURRENT_TRANSACTIONS
 * or INVALID_TXN_STATE), and it is refused with a fencing error when another instance
 * registered the id: the probe of a failure that does not say why. Throws the coordinator's
 * refusal as kafkajs does.
 */
export async function abortTransaction(cluster: EngineCluster, transactionalId: string, identity: { producerId: number | string; epoch: number }): Promise<void> {
  const coordinator = await cluster.findGroupCoordinator({ groupId: transactionalId, coordinatorType: TRANSACTION_COORDINATOR })
  await coordinator.endTxn({ transactionalId, producerId: identity.producerId, producerEpoch: identity.epoch, transactionResult: false })
}

/** kafkajs' coordinator type of a transactional id. */
const TRANSACTION_COORDINATOR = 1

/** Throws when one of the kafkajs internals this delivery path uses is not where it expects. */
export function assertEngineInternals(client: Client): void {
  if (symbolOf(client, 'private:Kafka:createCluster') === undefined) throw missing('Kafka#createCluster')
  engineLogger(client)
  if (typeof apiKeys.Produce !== 'number' || typeof requests.Produce !== 'object') throw missing('the Produce request')
  if (typeof createEosManager !== 'function') throw missing('producer/eosManager')
  if (typeof protocolErrors.createErrorFromCode !== 'function') throw missing('protocol/error createErrorFromCode')
  const cluster = createCluster(client, { allowAutoTopicCreation: false })
  for (const name of ['connect', 'disconnect', 'isConnected', 'refreshMetadata', 'refreshMetadataIfNecessary', 'addMultipleTargetTopics', 'findTopicPartitionMetadata', 'findBroker', 'removeBroker', 'findGroupCoordinator'] as const) {
    if (typeof cluster[name] !== 'function') throw missing(`Cluster#${name}`)
  }
  if (!(cluster.targetTopics instanceof Set)) throw missing('Cluster#targetTopics')
  for (const name of ['refreshMetadata', 'findConnectedBroker'] as const) {
    if (typeof cluster.brokerPool?.[name] !== 'function') throw missing(`BrokerPool#${name}`)
  }
  if (typeof apiKeys.Metadata !== 'number' || typeof requests.Metadata !== 'object') throw missing('the Metadata request')
  if (symbolOf(Broker.prototype, 'private:Broker:sendRequest') === undefined) throw missing('Broker#sendRequest')
  if (typeof (Broker.prototype as { endTxn?: unknown }).endTxn !== 'function') throw missing('Broker#endTxn')
  if (typeof (Broker.prototype as { findGroupCoordinator?: unknown }).findGroupCoordinator !== 'function') throw missing('Broker#findGroupCoordinator')
}
