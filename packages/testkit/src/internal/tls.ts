import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { TestkitError } from './errors.js'
import { requireCommand } from './tools.js'

/** A CA made for one test cluster, and a broker certificate it signed. */
export interface ClusterCertificates {
  /** PEM of the CA certificate: what clients trust. */
  readonly caPem: string
  /** Path of the CA certificate (PEM), for the brokers' trust store. */
  readonly caFile: string
  /** Path of the broker's private key followed by its certificate chain (a Kafka PEM key store). */
  readonly brokerKeyStoreFile: string
}

/**
 * Makes a throw-away CA and a broker certificate valid for `hosts` (IPs and DNS names) with
 * openssl, into `dir`. Nothing is reused across runs: each cluster has its own trust root.
 */
export function makeCertificates(dir: string, hosts: string[]): ClusterCertificates {
  requireCommand('openssl', ['version'])
  const file = (name: string) => join(dir, name)
  const run = (args: string[]) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? ''
      throw new TestkitError('TESTKIT_PROCESS_EXITED', `openssl ${args[0]} failed while making the test cluster's certificates: ${stderr.trim()}`, { cause: error })
    }
  }
  const subjectAltName = hosts.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',')
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=kafkit test CA', '-keyout', file('ca.key'), '-out', file('ca.pem')])
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=kafkit test broker', '-keyout', file('broker.key'), '-out', file('broker.csr')])
  writeFileSync(file('broker.ext'), `subjectAltName=${subjectAltName}\nextendedKeyUsage=serverAuth,clientAuth\n`)
  run(['x509', '-req', '-in', file('broker.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('broker.ext'), '-out', file('broker.pem')])
  // Kafka's PEM key store wants an unencrypted PKCS#8 key followed by the certificate chain.
  run(['pkcs8', '-topk8', '-nocrypt', '-in', file('broker.key'), '-out', file('broker.pk8')])
  const keyStore = file('broker-keystore.pem')
  writeFileSync(keyStore, readFileSync(file('broker.pk8'), 'utf8') + readFileSync(file('broker.pem'), 'utf8'))
  return { caPem: readFileSync(file('ca.pem'), 'utf8'), caFile: file('ca.pem'), brokerKeyStoreFile: keyStore }
}
