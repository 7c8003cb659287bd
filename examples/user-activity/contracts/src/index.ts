/**
 * The user-activity tracker's event contracts, shared by every service as one package: a
 * producer and its consumers agree on names, keys, value shapes and provisioning at
 * compile time, and the serdes check them again at run time.
 */
import { z } from 'zod'
import { defineTopic, json, optional, string } from '@kafkit/core'

/** One thing a user did. `amountCents` is set for purchases. */
export const Activity = z.object({
  userId: z.string().min(1),
  action: z.enum(['login', 'click', 'purchase']),
  at: z.coerce.date(),
  page: z.string().optional(),
  amountCents: z.number().int().positive().optional(),
})

/** The contract of the activity topic; `name` lets a demo or a test run in its own namespace. */
export function userActivityTopic(name = 'user-activity') {
  return defineTopic({
    name,
    // Keyed by user: one user's events stay in order on one partition.
    key: string(),
    value: json(Activity),
    headers: { 'trace-id': optional(string()) },
    partitions: 3,
    replicationFactor: 1,
    config: { 'retention.ms': '604800000' },
  })
}

/** `user-activity`: logins, clicks and purchases, keyed by user id. */
export const UserActivity = userActivityTopic()

/** The contract type, for services that take the topic as a parameter. */
export type UserActivityTopic = ReturnType<typeof userActivityTopic>

/** A user's profile, the latest per user id. */
export const Profile = z.object({
  userId: z.string().min(1),
  displayName: z.string().min(1),
  email: z.string().email(),
})

/**
 * The contract of the compacted profile topic: Kafka keeps the latest record per user id,
 * and a tombstone (`value: null`) deletes the user (compaction drops the older records,
 * and later the tombstone too, after `delete.retention.ms`). `tombstones: true` lets
 * `send` take `value: null` and makes handlers see `value: null`, typed.
 */
export function userProfilesTopic(name = 'user-profiles', config: Record<string, string> = {}) {
  return defineTopic({
    name,
    key: string(),
    value: json(Profile),
    tombstones: true,
    partitions: 3,
    replicationFactor: 1,
    config: { 'cleanup.policy': 'compact', ...config },
  })
}

/** `user-profiles`: compacted, keyed by user id; a null value deletes the user. */
export const UserProfiles = userProfilesTopic()

/** The profile contract type. */
export type UserProfilesTopic = ReturnType<typeof userProfilesTopic>
