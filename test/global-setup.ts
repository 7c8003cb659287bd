// Global setup of the `integration` project: one Kafka (3.9.2, ZooKeeper mode: the defaults)
// + schema registry for the whole run.
import { clusterGlobalSetup } from './cluster-setup.js'

export const { setup, teardown } = clusterGlobalSetup({ schemaRegistry: true })
