// Contract: docker/docker-compose.yml declares ZooKeeper, Kafka and a schema registry with
// healthchecks, a listener the host can reach on 9092, and the registry on 8081. (No Docker
// engine runs here, so the file is checked, not run.)
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'

interface Service {
  image: string
  ports?: string[]
  environment?: Record<string, string | number>
  healthcheck?: { test: string[] }
  depends_on?: Record<string, { condition: string }>
}
const compose = parse(readFileSync(join(import.meta.dirname, '..', 'docker', 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> }
const { zookeeper, kafka, 'schema-registry': registry } = compose.services

describe('docker/docker-compose.yml', () => {
  it('has the three services on current Confluent images with healthchecks', () => {
    for (const service of [zookeeper, kafka, registry]) {
      expect(service?.image).toMatch(/^confluentinc\/cp-(zookeeper|kafka|schema-registry):7\.9\.\d+$/)
      expect(service?.healthcheck?.test.length).toBeGreaterThan(1)
    }
  })

  it('publishes ZooKeeper on 2181, Kafka on 9092 and the registry on 8081', () => {
    expect(zookeeper?.ports).toContain('2181:2181')
    expect(kafka?.ports).toContain('9092:9092')
    expect(registry?.ports).toContain('8081:8081')
  })

  it('advertises localhost:9092 to the host and an internal address to the other containers', () => {
    const env = kafka?.environment ?? {}
    const advertised = String(env['KAFKA_ADVERTISED_LISTENERS']).split(',')
    expect(advertised).toContain('EXTERNAL://localhost:9092')
    const internal = advertised.find((l) => l.startsWith(`${env['KAFKA_INTER_BROKER_LISTENER_NAME']}://`))
    expect(internal).toBe('INTERNAL://kafka:29092')
    expect(String(registry?.environment?.['SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS'])).toContain('kafka:29092')
    expect(env['KAFKA_ZOOKEEPER_CONNECT']).toBe(`zookeeper:${zookeeper?.environment?.['ZOOKEEPER_CLIENT_PORT']}`)
  })

  it('starts each service only after what it needs is healthy', () => {
    expect(kafka?.depends_on?.['zookeeper']?.condition).toBe('service_healthy')
    expect(registry?.depends_on?.['kafka']?.condition).toBe('service_healthy')
  })
})
