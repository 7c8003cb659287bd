import type { ConsumerEngine } from './engine.js'
import type { ConsumerEvents, RebalanceReason } from './events.js'

type GroupEvents = Pick<ConsumerEvents, 'consumer.rebalancing' | 'consumer.group-joined'>

/** Where the group events go: a consumer's or a pipeline's event hub. */
export interface GroupEventSink {
  emit<K extends keyof GroupEvents>(name: K, payload: GroupEvents[K]): void
}

/**
 * Turns what an engine reports about its group into one `consumer.rebalancing` per group
 * change and a `consumer.group-joined` per join. The engine may report one change several
 * times (each partition's heartbeat, the fetch loop) or not at all (kafkajs tells nothing of
 * an eviction it noticed in its own commit): a join that no rebalancing announced is
 * announced at the join, as `member-lost` when the member id changed.
 * @returns stops watching
 */
export function watchGroup(engine: ConsumerEngine, groupId: string, sink: GroupEventSink, onChange: () => void = () => {}): () => void {
  let joins = 0
  let memberId: string | undefined
  let announced = false
  const announce = (reason: RebalanceReason, error?: unknown): void => {
    if (announced || joins === 0) return
    announced = true
    onChange()
    const errorMessage = error === undefined ? undefined : error instanceof Error ? error.message : String(error)
    sink.emit('consumer.rebalancing', { groupId, reason, ...(errorMessage === undefined ? {} : { errorMessage }) })
  }
  const off = [
    engine.on('rebalancing', (reason, error) => announce(reason, error)),
    engine.on('group-join', (join) => {
      if (joins > 0) announce(memberId !== undefined && join.memberId !== memberId ? 'member-lost' : 'rebalance')
      joins++
      memberId = join.memberId
      announced = false
      sink.emit('consumer.group-joined', { groupId, memberId: join.memberId, isLeader: join.isLeader, assignment: join.assignment, joins })
    }),
  ]
  return () => {
    for (const unsubscribe of off) unsubscribe()
  }
}
