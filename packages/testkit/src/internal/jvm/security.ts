import type { ClusterCertificates } from '../tls.js'

/** The `--add-config` value that creates a user's SCRAM-SHA-256 and SCRAM-SHA-512 credentials. */
export function scramCredentialArgs(password: string): string {
  return `SCRAM-SHA-256=[iterations=8192,password=${password}],SCRAM-SHA-512=[password=${password}]`
}

/**
 * Broker settings for a SASL_SSL listener named `SASL_SSL`: a PEM key store and trust store
 * from `certificates`, SCRAM-SHA-256/512 (credentials in ZooKeeper or the KRaft metadata) and
 * PLAIN (users listed in the JAAS config). `listeners` / `advertised.listeners` hold only this
 * listener's entry, for the caller to append to its own.
 */
export function saslSslListenerConfig(host: string, port: number, certificates: ClusterCertificates, users: { username: string; password: string }[]): Record<string, string> {
  const plainUsers = users.map((u) => `user_${u.username}="${u.password}"`).join(' ')
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
  return {
    listeners: `SASL_SSL://${host}:${port}`,
    'advertised.listeners': `SASL_SSL://${host}:${port}`,
    'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': scram,
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': scram,
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
    'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
    'listener.name.sasl_ssl.ssl.keystore.location': certificates.brokerKeyStoreFile,
    'listener.name.sasl_ssl.ssl.truststore.type': 'PEM',
    'listener.name.sasl_ssl.ssl.truststore.location': certificates.caFile,
    'listener.name.sasl_ssl.ssl.client.auth': 'none',
  }
}
