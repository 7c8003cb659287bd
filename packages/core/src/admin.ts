import { z } from 'zod'
import { bounded } from './internal/bounded.js'
import type { AnyTopicContract } from './contract.js'
import { KafkitError } from './errors.js'
import { ms, parseOptions } from './internal/options.js'
import type { TopicSpec, Transport, TransportAdmin } from './internal/transport/index.js'

/** Options of {@link KafkitAdmin.ensureTopics}. */
export interface EnsureTopicsOptions {
  /**
   * Throw a `KAFKIT_TOPIC_DRIFT` error when an existing topic differs from its contract
   * (after creating the missing ones). Off, drift is only reported.
   * @default false
   */
  failOnDrift?: boolean
  /** How long to wait for created topics to have leaders. @default 30_000 */
  timeoutMs?: number
}

/** How an existing topic differs from its contract. */
export interface TopicDrift {
  topic: string
  /** `partitions`, `replicationFactor`, or `config` (then `name` is the config entry). */
  kind: 'partitions' | 'replicationFactor' | 'config'
  /** The config entry, for `kind: 'config'`. */
  name?: string
  /** What the contract says. */
  expected: number | string
  /** What the cluster has; `undefined` for a config entry the broker does not report. */
  actual: number | string | undefined
  /** One sentence for logs, saying what to do. */
  message: string
}

/** What {@link KafkitAdmin.ensureTopics} did and found. Nothing existing is ever changed. */
export interface EnsureTopicsReport {
  /** Topics created now, with the contract's partitions, replication factor and config. */
  created: string[]
  /** Topics that existed already (or that a concurrent creator made first). */
  existing: string[]
  /** Differences between existing topics and their contracts. */
  drift: TopicDrift[]
}

const ensureOptionsSchema = z.strictObject({ failOnDrift: z.boolean().default(false), timeoutMs: ms().default(30_000) })

/** Options of {@link KafkitAdmin.listTopics}. */
export interface ListTopicsOptions {
  /**
   * Also list the cluster's internal topics: names starting with `__`, the prefix Kafka
   * reserves for them (`__consumer_offsets`, `__transaction_state`).
   * @default false
   */
  includeInternal?: boolean
  /**
   * Fail (retriable `KAFKIT_KAFKA`) when the cluster gave no answer for this long: a broker
   * that takes connections and never answers does not hold the caller for the engine's
   * request timeout and retries.
   * @default 30_000
   */
  timeoutMs?: number
}

const listOptionsSchema = z.strictObject({ includeInternal: z.boolean().default(false), timeoutMs: ms().default(30_000) })

/** Cluster administration driven by contracts, and the cluster's topic names. Get one from `kafka.admin()`. */
export class KafkitAdmin {
  readonly #engine: TransportAdmin
  #connecting: Promise<void> | undefined

  /** @internal Use `kafka.admin()`. */
  constructor(transport: Transport) {
    this.#engine = transport.admin()
  }

  #connect(): Promise<void> {
    this.#connecting ??= this.#engine.connect().catch((error: unknown) => {
      this.#connecting = undefined
      throw error
    })
    return this.#connecting
  }

  /**
   * Creates the contracts' missing topics (partitions, replication factor and config from
   * each contract; broker defaults where a contract says nothing) and reports how existing
   * ones differ: fewer or more partitions, another replication factor, other config values.
   * It never alters an existing topic: adding partitions moves keys to other partitions,
   * and config changes deserve a reviewed change, not a side effect of a deploy.
   *
   * @example
   * ```ts
   * const report = await kafka.admin().ensureTopics([UserActivity, Orders])
   * for (const drift of report.drift) logger.warn(drift.message)
   * ```
   * @throws KafkitError `KAFKIT_CONFIG` when two contracts name the same topic with
   *   different settings, `KAFKIT_TOPIC_DRIFT` with `failOnDrift`, `KAFKIT_KAFKA` from the broker
   */
  async ensureTopics(contracts: readonly AnyTopicContract[], options: EnsureTopicsOptions = {}): Promise<EnsureTopicsReport> {
    const { failOnDrift, timeoutMs } = parseOptions('ensureTopics', ensureOptionsSchema, options)
    const wanted = uniqueContracts(contracts)
    await this.#connect()

    const present = new Set(await this.#engine.listTopics())
    const missing = [...wanted.values()].filter((contract) => !present.has(contract.name))
    let created: string[] = []
    if (missing.length > 0) {
      const specs: TopicSpec[] = missing.map((contract) => ({
        topic: contract.name,
        partitions: contract.partitions ?? -1,
        replicationFactor: contract.replicationFactor ?? -1,
        config: { ...contract.config },
      }))
      // false: another service created some of them between our listing and our create;
      // the engine cannot say which, so all are checked for drift like existing ones.
      if (await this.#engine.createTopics(specs, timeoutMs)) created = specs.map((spec) => spec.topic)
    }

    const createdSet = new Set(created)
    const existing = [...wanted.keys()].filter((name) => !createdSet.has(name))
    const drift = existing.length === 0 ? [] : await this.#drift(existing.map((name) => wanted.get(name)!))
    const report: EnsureTopicsReport = { created, existing, drift }
    if (failOnDrift && drift.length > 0) {
      throw new KafkitError('KAFKIT_TOPIC_DRIFT', `Topics differ from their contracts: ${drift.map((entry) => entry.message).join(' ')}`, {
        context: { topics: [...new Set(drift.map((entry) => entry.topic))], report },
      })
    }
    return report
  }

  /**
   * The names of the cluster's topics, sorted; without its internal topics
   * (`__consumer_offsets`, `__transaction_state`) unless `includeInternal`. A topic being
   * created or deleted right now may or may not be in it.
   *
   * @example
   * ```ts
   * if (!(await kafka.admin().listTopics()).includes('orders.dlq')) console.error('no such dead-letter topic')
   * ```
   * @throws KafkitError `KAFKIT_CONFIG` for invalid options, `KAFKIT_KAFKA` when the cluster cannot be reached
   */
  async listTopics(options: ListTopicsOptions = {}): Promise<string[]> {
    const { includeInternal, timeoutMs } = parseOptions('listTopics', listOptionsSchema, options)
    const topics = await bounded(
      (async () => {
        await this.#connect()
        return this.#engine.listTopics()
      })(),
      timeoutMs,
      'list topics',
    )
    return (includeInternal ? topics : topics.filter((topic) => !topic.startsWith('__'))).sort()
  }

  async #drift(contracts: AnyTopicContract[]): Promise<TopicDrift[]> {
    const descriptions = new Map((await this.#engine.describeTopics(contracts.map((contract) => contract.name))).map((entry) => [entry.topic, entry]))
    const configs = await this.#engine.describeTopicConfigs(contracts.map((contract) => ({ topic: contract.name, names: Object.keys(contract.config) })))
    const drift: TopicDrift[] = []
    for (const contract of contracts) {
      const topic = contract.name
      const actual = descriptions.get(topic)
      if (actual !== undefined && contract.partitions !== undefined && actual.partitions !== contract.partitions) {
        drift.push({
          topic,
          kind: 'partitions',
          expected: contract.partitions,
          actual: actual.partitions,
          message:
            actual.partitions < contract.partitions
              ? `${topic} has ${actual.partitions} partitions, its contract wants ${contract.partitions}: adding partitions moves keys, so kafkit leaves it to you (kafka-topics --alter --partitions).`
              : `${topic} has ${actual.partitions} partitions, more than the ${contract.partitions} of its contract: Kafka cannot remove partitions; update the contract.`,
        })
      }
      if (actual !== undefined && contract.replicationFactor !== undefined && actual.replicationFactor !== contract.replicationFactor) {
        drift.push({
          topic,
          kind: 'replicationFactor',
          expected: contract.replicationFactor,
          actual: actual.replicationFactor,
          message: `${topic} has replication factor ${actual.replicationFactor}, its contract wants ${contract.replicationFactor} (a partition reassignment changes it).`,
        })
      }
      const values = configs.get(topic) ?? {}
      for (const [name, expected] of Object.entries(contract.config)) {
        const value = values[name]
        if (value === expected) continue
        drift.push({
          topic,
          kind: 'config',
          name,
          expected,
          actual: value,
          message:
            value === undefined
              ? `${topic}: the broker does not report config '${name}' (the contract wants '${expected}'); is the name right?`
              : `${topic}: config '${name}' is '${value}', its contract wants '${expected}' (kafka-configs --alter changes it).`,
        })
      }
    }
    return drift
  }

  /** Disconnects. Idempotent. */
  async disconnect(): Promise<void> {
    const connecting = this.#connecting
    this.#connecting = undefined
    if (connecting === undefined) return
    await connecting.catch(() => {})
    await this.#engine.disconnect()
  }
}

/** Contracts by topic name; the same topic twice must agree on its settings. */
function uniqueContracts(contracts: readonly AnyTopicContract[]): Map<string, AnyTopicContract> {
  const byName = new Map<string, AnyTopicContract>()
  for (const contract of contracts) {
    const seen = byName.get(contract.name)
    if (seen === undefined) {
      byName.set(contract.name, contract)
      continue
    }
    const same =
      seen.partitions === contract.partitions &&
      seen.replicationFactor === contract.replicationFactor &&
      JSON.stringify(Object.entries(seen.config).sort()) === JSON.stringify(Object.entries(contract.config).sort())
    if (!same) {
      throw new KafkitError('KAFKIT_CONFIG', `Two contracts for topic '${contract.name}' disagree on partitions, replication factor or config`, {
        context: { topic: contract.name },
      })
    }
  }
  return byName
}
