import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Runs `action` while holding a lock directory, so parallel test workers do not start two
 * podman services or build the same image twice. A lock whose owner process is gone is taken
 * over; `mkdir` is atomic on every local file system.
 */
export async function withFileLock<T>(lockDir: string, action: () => Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      mkdirSync(lockDir)
      writeFileSync(join(lockDir, 'owner'), String(process.pid))
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (ownerIsGone(lockDir)) {
        rmSync(lockDir, { recursive: true, force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lockDir} (held by another kafkit process)`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  try {
    return await action()
  } finally {
    rmSync(lockDir, { recursive: true, force: true })
  }
}

function ownerIsGone(lockDir: string): boolean {
  let pid: number
  try {
    pid = Number(readFileSync(join(lockDir, 'owner'), 'utf8'))
  } catch {
    // Created but the owner file not written yet: give its creator a few seconds.
    try {
      return Date.now() - statSync(lockDir).mtimeMs > 10_000
    } catch {
      return true
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return true
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
