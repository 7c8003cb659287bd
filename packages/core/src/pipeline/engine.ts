import type { ConsumerEngine, EngineConsumerConfig, TopicEnsurer } from '../consumer/engine.js'
import type { TransportTransactionalOptions, TransportTransactionalProducer } from '../internal/transport/index.js'

/** Group consumer settings of a pipeline: what a plain consumer needs, plus how it reads. */
export interface PipelineConsumerConfig extends EngineConsumerConfig {
  /** Always `read_committed` for a pipeline: it must not transform what an aborted transaction wrote. */
  isolationLevel: 'read_committed' | 'read_uncommitted'
}

/**
 * What a pipeline is built from: a group consumer that never commits by itself (offsets
 * travel in the transactions), transactional producers, the group's committed offsets and
 * topic creation. Supplied by the `Kafkit` client over its transport.
 */
export interface PipelineDeps {
  createEngine(config: PipelineConsumerConfig): ConsumerEngine
  createProducer(options: TransportTransactionalOptions): TransportTransactionalProducer
  /** The group's committed offset (next offset to read) of one partition; `undefined` when none. */
  committedOffset(groupId: string, topic: string, partition: number): Promise<bigint | undefined>
  topics: TopicEnsurer
  release(): Promise<void>
}
