import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runMaven, sweepAbandoned } from '../../src/internal/cache.js'

const savedEnv = { ...process.env }
const dirs: string[] = []
const scratch = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  process.env = { ...savedEnv }
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }))
})

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(child.stdout)
}

describe('the download cache', () => {
  it('removes what dead downloads and builds left behind, and nothing of live or finished ones', () => {
    const cache = scratch('kafkit-cache-')
    const dead = deadPid()
    const made = [
      `kafka-3.9.2/libs.partial-${dead}`,
      `apicurio-registry-2.6.13.Final.partial-${dead}`,
      `mvn-${dead}-abc123`,
      `keycloak-build-${dead}-xyz`,
      `kafka-3.9.2/libs.partial-${process.pid}`,
      'kafka-3.9.2/libs',
      'apicurio-registry-2.6.13.Final',
    ]
    for (const dir of made) mkdirSync(join(cache, dir), { recursive: true })
    writeFileSync(join(cache, `keycloak-build-${dead}.log`), 'log')

    sweepAbandoned(cache)

    const left = [...made, `keycloak-build-${dead}.log`].filter((entry) => existsSync(join(cache, entry)))
    expect(left.sort()).toEqual([`kafka-3.9.2/libs.partial-${process.pid}`, 'kafka-3.9.2/libs', 'apicurio-registry-2.6.13.Final'].sort())
  })

  it('stops a Maven that prints nothing for the stall limit, with a clear error, and kills it', async () => {
    const bin = scratch('kafkit-fake-mvn-')
    const pidFile = join(bin, 'pid')
    // Stands in for a Maven whose download hangs: one line, then silence.
    writeFileSync(join(bin, 'mvn'), `#!/bin/sh\necho $$ > ${pidFile}\necho "[INFO] Downloading from central: https://repo.example/x.jar"\nexec sleep 120\n`)
    chmodSync(join(bin, 'mvn'), 0o755)
    process.env['PATH'] = `${bin}:${process.env['PATH']}`
    process.env['KAFKIT_DOWNLOAD_STALL_MS'] = '1500'
    process.env['KAFKIT_CACHE_DIR'] = scratch('kafkit-cache-')

    const error = await runMaven(['dependency:unpack'], () => undefined).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TESTKIT_DOWNLOAD_FAILED' })
    expect((error as Error).message).toMatch(/printed nothing for 2 s and was stopped[\s\S]*Downloading from central/)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expect(() => process.kill(pid, 0)).toThrow()
  }, 20_000)
})
