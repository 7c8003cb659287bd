// A broker with Kafka's ACL authorizer and a SASL_SSL user, for the integration tests of
// what a principal without an ACL meets. Not a test file.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type KafkaCluster, startKafka } from '@kafkit/testkit'
import kafkajs from 'kafkajs'
import { Kafkit } from '../../src/index.js'
import { plainClient } from './read-topic.js'

const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs

/** Kafka's ZooKeeper-mode authorizer (the testkit's default on Kafka 3.9), which keeps ACLs in ZooKeeper. */
export const AUTHORIZER = 'kafka.security.authorizer.AclAuthorizer'

/** A SASL user of the broker, and the principal its ACLs name. */
export interface AclUser {
  username: string
  password: string
}

/** Set-up through a plaintext listener whose principal may do anything: topics and ACLs. */
export interface AclAdmin {
  /** Lets `principal` do `operations` on a resource. */
  allow(principal: string, resourceType: kafkajs.AclResourceTypes, resourceName: string, operations: kafkajs.AclOperationTypes[], pattern?: kafkajs.ResourcePatternTypes): Promise<void>
  /** Removes every ACL of `principal` on topic `name`. */
  disallowTopic(principal: string, name: string): Promise<void>
  /** Creates topics, leaders elected (2 partitions unless said). */
  create(...topics: { name: string; partitions?: number | undefined }[]): Promise<void>
}

/** The broker, its plaintext listener for set-up, and its SASL_SSL clients. */
export interface AclBroker extends AclAdmin {
  readonly cluster: KafkaCluster
  /** The plaintext listener: its principal (ANONYMOUS) is a super user and sets up topics and ACLs. */
  readonly plain: string[]
  /** A client authenticated as `user` over SASL_SSL (SCRAM-SHA-512), configured from the environment as a service would be; closed by {@link AclBroker.stop}. */
  client(user: AclUser): Kafkit
  stop(): Promise<void>
}

/** {@link AclAdmin} through the plaintext listener `plain`. */
export function aclAdmin(plain: string[]): AclAdmin {
  const withAdmin = async (fn: (admin: kafkajs.Admin) => Promise<unknown>): Promise<void> => {
    const admin = plainClient(plain).admin()
    await admin.connect()
    try {
      await fn(admin)
    } finally {
      await admin.disconnect()
    }
  }
  return {
    allow: (principal, resourceType, resourceName, operations, pattern = ResourcePatternTypes.LITERAL) =>
      withAdmin((admin) =>
        admin.createAcls({ acl: operations.map((operation) => ({ resourceType, resourceName, resourcePatternType: pattern, principal, host: '*', operation, permissionType: AclPermissionTypes.ALLOW })) }),
      ),
    disallowTopic: (principal, name) =>
      withAdmin((admin) =>
        admin.deleteAcls({ filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: name, resourcePatternType: ResourcePatternTypes.LITERAL, principal, host: '*', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }] }),
      ),
    create: (...topics) =>
      withAdmin((admin) => admin.createTopics({ topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions ?? 2, replicationFactor: 1 })), waitForLeaders: true })),
  }
}

/** The principal of a SASL user, as ACLs name it. */
export const principalOf = (user: AclUser) => `User:${user.username}`

/**
 * Starts one JVM broker whose SASL_SSL listener authenticates `users` and whose authorizer
 * allows them only what an ACL grants; the plaintext listener (set-up, inter-broker traffic)
 * authenticates no one, as a super user.
 */
export async function startAclBroker(users: AclUser[]): Promise<AclBroker> {
  const cluster = await startKafka({
    backend: 'jvm',
    saslSsl: { users },
    brokerConfig: { 'authorizer.class.name': AUTHORIZER, 'super.users': 'User:ANONYMOUS' },
    log: () => {},
  })
  const plain = cluster.brokers
  const caFile = join(mkdtempSync(join(tmpdir(), 'kafkit-acl-')), 'ca.pem')
  writeFileSync(caFile, cluster.saslSsl!.caPem)
  const clients: Kafkit[] = []
  return {
    cluster,
    plain,
    client(user) {
      const kafka = Kafkit.fromEnv(
        { logLevel: 'nothing' },
        {
          KAFKA_BROKERS: cluster.saslSsl!.brokers.join(','),
          KAFKA_CLIENT_ID: 'kafkit-acl-test',
          KAFKA_SSL_CA: caFile,
          KAFKA_SASL_MECHANISM: 'scram-sha-512',
          KAFKA_SASL_USERNAME: user.username,
          KAFKA_SASL_PASSWORD: user.password,
        },
      )
      clients.push(kafka)
      return kafka
    },
    ...aclAdmin(plain),
    async stop() {
      await Promise.allSettled(clients.map((kafka) => kafka.close()))
      await cluster.stop()
    },
  }
}
