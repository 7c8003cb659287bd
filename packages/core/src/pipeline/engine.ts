import type { ConsumerDeps, ConsumerEngine, EngineBatch, EngineConsumerConfig, TopicEnsurer } from '../runtime/engine.js'
import type { TransportTransactionalOptions, TransportTransactionalProducer } from '../internal/transport/index.js'

/** Group consumer settings of a pipeline: what a plain consumer needs, plus how it reads. */
export interface PipelineConsumerConfig extends EngineConsumerConfig {
  /** Always `read_committed` for a pipeline: it must not transform what an aborted transaction wrote. */
  isolationLevel: 'read_committed' | 'read_uncommitted'
}

/** A partition batch as a pipeline sees it. */
export interface PipelineBatch extends EngineBatch {
  /**
   * The offset after the batch's last entry, transaction markers and aborted records
   * included: committing it once every record is done keeps a transactional input's lag at 0.
   */
  readonly nextOffset: string
}

/** The pipeline's group consumer: a consumer engine that hands out {@link PipelineBatch}es. */
export interface PipelineEngine extends Omit<ConsumerEngine, 'run'> {
  run(eachBatch: (batch: PipelineBatch) => Promise<void>): Promise<void>
}

/**
 * What a pipeline is built from: a group consumer that never commits by itself (offsets
 * travel in the transactions), transactional producers, the group's committed offsets and
 * topic creation. Supplied by the `Kafkit` client over its transport.
 */
export interface PipelineDeps {
  createEngine(config: PipelineConsumerConfig): PipelineEngine
  createProducer(options: TransportTransactionalOptions): TransportTransactionalProducer
  /** The group's committed offset (next offset to read) of one partition; `undefined` when none. */
  committedOffset(groupId: string, topic: string, partition: number): Promise<bigint | undefined>
  topics: TopicEnsurer
  release(): Promise<void>
  /** Wraps each transform call (tracing span, duration metric), as for a consumer's handler. */
  aroundHandler?: ConsumerDeps['aroundHandler']
}
