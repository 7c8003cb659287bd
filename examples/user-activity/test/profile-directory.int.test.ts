// Contract: the compaction example works: profiles and tombstones written to a compacted topic with `tombstones: true` give a directory that holds the latest profile per user and forgets deleted users, and a new instance rebuilds the same directory from the topic.
import { Kafkit } from '@kafkit/core'
import { uniqueName, waitFor } from '@kafkit/testkit'
import { afterAll, expect, inject, it } from 'vitest'
import { userProfilesTopic } from '#contracts'
import { ProfileDirectory, publishProfiles } from '../src/profile-directory.js'

const { brokers } = inject('kafka')
const kafka = new Kafkit({ clientId: 'example-profiles', brokers, logLevel: 'nothing' })
afterAll(() => kafka.close())

it('keeps the latest profile per user and forgets users deleted by a tombstone', async () => {
  const topic = userProfilesTopic(uniqueName('user-profiles'))
  await kafka.admin().ensureTopics([topic])
  await publishProfiles(kafka, topic, [
    ['ann', { displayName: 'Ann', email: 'ann@example.com' }],
    ['bob', { displayName: 'Bob', email: 'bob@example.com' }],
    ['ann', { displayName: 'Ann B.', email: 'ann@example.com' }],
    ['bob', null],
  ])
  const expected = new Map([['ann', { displayName: 'Ann B.', email: 'ann@example.com' }]])
  for (const groupId of [uniqueName('directory'), uniqueName('directory-rebuilt')]) {
    const directory = new ProfileDirectory(kafka, topic, groupId)
    await directory.start()
    try {
      await waitFor(() => directory.handled >= 4, { timeoutMs: 60_000, message: 'directory caught up' })
    } finally {
      await directory.stop()
    }
    expect(directory.profiles).toEqual(expected)
  }
})
