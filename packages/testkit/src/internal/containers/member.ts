import type { WriteStream } from 'node:fs'
import type { Readable } from 'node:stream'
import type { StartedTestContainer } from 'testcontainers'

/** One container of a cluster, with where its log goes. */
export interface Member {
  readonly role: 'zookeeper' | 'kafka' | 'registry'
  readonly name: string
  readonly logFile: string
  readonly container: StartedTestContainer
  readonly logs: WriteStream
  streams: Readable[]
}
