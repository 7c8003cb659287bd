import { createServer } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TestkitError, startKafka } from '@kafkit/testkit'
import { ensureKafkaJars } from '../../src/internal/cache.js'
import { assertPortFree, freePort } from '../../src/internal/ports.js'
import { requireCommand } from '../../src/internal/tools.js'

const savedEnv = { ...process.env }
afterEach(() => {
  process.env = { ...savedEnv }
})

describe('clear errors for a machine that lacks something', () => {
  it('names a missing program instead of a spawn ENOENT', () => {
    expect(() => requireCommand('kafkit-no-such-program')).toThrow(TestkitError)
    expect(() => requireCommand('kafkit-no-such-program')).toThrow(/kafkit-no-such-program is required .* not found on PATH/)
  })

  it('says Java is missing, with how to install it, when the JVM backend is asked for without Java', async () => {
    process.env['PATH'] = '/nonexistent'
    const error = await startKafka({ backend: 'jvm', log: () => undefined }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TestkitError)
    expect(error).toMatchObject({ code: 'TESTKIT_MISSING_TOOL' })
    expect((error as Error).message).toMatch(/java is required.*install Java 17/)
  })

  it('names a container engine that does not answer, instead of hanging', async () => {
    process.env['DOCKER_HOST'] = 'unix:///nonexistent/kafkit-test-docker.sock'
    const error = await startKafka({ backend: 'containers', log: () => undefined, startTimeoutMs: 20_000 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TESTKIT_ENGINE_UNAVAILABLE' })
    expect((error as Error).message).toMatch(/DOCKER_HOST=unix:\/\/\/nonexistent\/kafkit-test-docker\.sock does not answer/)
  }, 30_000)

  it('rejects options it cannot honour, naming them', async () => {
    await expect(startKafka({ brokers: 2 as 1 })).rejects.toThrow(/brokers must be 1 or 3, got 2/)
    await expect(startKafka({ mode: 'raft' as 'kraft' })).rejects.toThrow(/mode must be 'zookeeper' or 'kraft'/)
    process.env['KAFKIT_BACKEND'] = 'vm'
    await expect(startKafka()).rejects.toThrow(/KAFKIT_BACKEND\) must be 'auto', 'containers' or 'jvm', got 'vm'/)
  })

  it('reports a port that is taken', async () => {
    const port = await freePort()
    const server = createServer().listen(port, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    try {
      await expect(assertPortFree(port)).rejects.toMatchObject({ code: 'TESTKIT_PORT_IN_USE' })
    } finally {
      server.close()
    }
    await expect(assertPortFree(port)).resolves.toBeUndefined()
  })

  it('hands out distinct free ports below the ephemeral range, where no client socket can take them', async () => {
    const ports = await Promise.all(Array.from({ length: 10 }, () => freePort()))
    expect(new Set(ports).size).toBe(10)
    const { readFileSync } = await import('node:fs')
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    for (const port of ports) expect(port).toBeLessThan(low)
  })

  it('turns a failed Maven resolution into a download error with Maven’s own words, leaving no partial cache', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kafkit-cache-'))
    process.env['KAFKIT_CACHE_DIR'] = cache
    try {
      const error = await ensureKafkaJars(() => undefined, '0.0.0-no-such-release').catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'TESTKIT_DOWNLOAD_FAILED' })
      expect((error as Error).message).toMatch(/kafka_2\.13:jar:0\.0\.0-no-such-release/)
      const { readdirSync } = await import('node:fs')
      expect(readdirSync(cache).filter((f) => f.startsWith('kafka-'))).toEqual([])
    } finally {
      rmSync(cache, { recursive: true, force: true })
    }
  }, 60_000)
})
