import type { Kafkit, KafkitConsumer } from '@kafkit/core'
import type { UserProfilesTopic } from '#contracts'

/** A profile as the directory keeps it. */
export interface ProfileEntry {
  displayName: string
  email: string
}

/**
 * A materialized view of the compacted `user-profiles` topic: it reads the topic from the
 * beginning, keeps the latest profile per user and forgets a user on a tombstone. A new
 * instance rebuilds the same view from what compaction kept.
 */
export class ProfileDirectory {
  readonly profiles = new Map<string, ProfileEntry>()
  /** Records handled, tombstones included. */
  handled = 0
  readonly consumer: KafkitConsumer

  constructor(kafka: Kafkit, topic: UserProfilesTopic, groupId = 'profile-directory') {
    this.consumer = kafka.consumer({ groupId, fromBeginning: true, shutdown: false })
    this.consumer.handle(topic, async ({ key, value }) => {
      this.handled++
      // The contract declares tombstones, so `value` is `Profile | null`: the compiler insists on this check.
      if (value === null) this.profiles.delete(key)
      else this.profiles.set(key, { displayName: value.displayName, email: value.email })
    })
  }

  start(): Promise<void> {
    return this.consumer.start()
  }

  stop(): Promise<void> {
    return this.consumer.stop()
  }
}

/** Writes profiles and deletions: a `null` profile is a tombstone. */
export async function publishProfiles(kafka: Kafkit, topic: UserProfilesTopic, changes: [userId: string, profile: ProfileEntry | null][]): Promise<void> {
  const producer = kafka.producer()
  try {
    await producer.send(
      topic,
      changes.map(([userId, profile]) => ({ key: userId, value: profile === null ? null : { userId, ...profile } })),
    )
  } finally {
    await producer.disconnect()
  }
}
