// The Python side of the interop tests: a venv with confluent-kafka from PyPI, made once per
// requirements set in the kafkit cache dir (never in the repo), and a runner for
// confluent_interop.py that leaves no process behind.
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cacheRoot } from '@kafkit/testkit'

/** Exact versions: what a Python team would pin. grpcio-tools brings protoc for the `_pb2` modules. */
export const REQUIREMENTS = ['confluent-kafka[schemaregistry,protobuf,json,avro]==2.16.1', 'grpcio-tools==1.85.1']
const SCRIPT = join(import.meta.dirname, 'confluent_interop.py')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Python processes still running, for {@link stopPythonRuns}. */
const running = new Set<ChildProcess>()

/**
 * Kills what is left of this file's Python runs (for `afterEach`/`afterAll`): a test or set-up
 * that timed out would leave its run going until the run's own, longer, limit.
 */
export function stopPythonRuns(): void {
  for (const child of running) child.kill('SIGKILL')
}

function run(command: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } })
    running.add(child)
    child.once('exit', () => running.delete(child))
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The venv's python, made if needed (pip takes its index from the machine's pip configuration). */
export async function pythonWithConfluentKafka(): Promise<string> {
  const key = createHash('sha256').update(REQUIREMENTS.join('\n')).digest('hex').slice(0, 12)
  const venv = join(cacheRoot(), 'python', `interop-${key}`)
  const python = join(venv, 'bin', 'python')
  const ready = join(venv, '.ready')
  if (existsSync(ready)) return python
  mkdirSync(join(cacheRoot(), 'python'), { recursive: true })
  // One builder at a time (test files run in parallel): the others wait for its venv.
  const lock = `${venv}.lock`
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (existsSync(ready)) return python
      // A lock older than any pip run is left from a killed run.
      const held = statSync(lock, { throwIfNoEntry: false })
      if (held && Date.now() - held.mtimeMs > 15 * 60_000) rmSync(lock, { recursive: true, force: true })
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  }
  try {
    if (existsSync(ready)) return python
    rmSync(venv, { recursive: true, force: true })
    const base = process.env['KAFKIT_PYTHON'] ?? 'python3.11'
    const made = await run(base, ['-m', 'venv', venv], 120_000)
    if (made.code !== 0) throw new Error(`${base} -m venv failed (${made.code}): ${made.stderr}`)
    const pip = await run(python, ['-m', 'pip', 'install', '--quiet', ...REQUIREMENTS], 600_000)
    if (pip.code !== 0) throw new Error(`pip install ${REQUIREMENTS.join(' ')} failed (${pip.code}):\n${pip.stderr.slice(-3000)}`)
    writeFileSync(ready, `${REQUIREMENTS.join('\n')}\n`)
    return python
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** `protobuf-line` is interop.Order.Line, the message nested after Order's map field. */
export type Format = 'protobuf' | 'protobuf-line' | 'json' | 'avro'

/**
 * Whether the registry answers `GET /schemas/ids/{id}?format=serialized` with a base64
 * Protobuf descriptor (Confluent does) rather than the stored `.proto` text (Apicurio 2.6):
 * Python's ProtobufDeserializer needs that to use a registry client.
 */
export async function servesSerializedProtobuf(registryUrl: string, id: number): Promise<boolean> {
  const response = await fetch(`${registryUrl.replace(/\/+$/, '')}/schemas/ids/${id}?format=serialized`)
  const { schema } = (await response.json()) as { schema?: string }
  return typeof schema === 'string' && !/[;{]/.test(schema)
}

/** Python writes `count` records of expectedRecord(i) with Confluent's Serializer for `format`. */
export async function pythonProduce(python: string, format: Format, target: { bootstrap: string; registry: string; topic: string }, count: number): Promise<void> {
  const result = await run(python, [SCRIPT, 'produce', format, target.bootstrap, target.registry, target.topic, String(count)], 180_000)
  if (result.code !== 0) throw new Error(`python produce ${format} failed (${result.code}):\n${result.stderr.slice(-3000)}`)
}

/** One record as Python read it; `protobuf-line` adds the record's message indexes and the ones Python writes for the message. */
export interface PythonRecord {
  key: string
  value: Record<string, unknown>
  indexes?: number[]
  python_indexes?: number[]
}

/**
 * Python reads `count` records with Confluent's Deserializer for `format`; one JSON object per
 * record. `protobufReader: 'local'` builds the Protobuf deserializer without a registry client.
 */
export async function pythonConsume(
  python: string,
  format: Format,
  target: { bootstrap: string; registry: string; topic: string; group: string; protobufReader?: 'registry' | 'local' },
  count: number,
): Promise<PythonRecord[]> {
  const args = [SCRIPT, 'consume', format, target.bootstrap, target.registry, target.topic, String(count), target.group, target.protobufReader ?? 'registry']
  const result = await run(python, args, 180_000)
  if (result.code !== 0) throw new Error(`python consume ${format} failed (${result.code}):\n${result.stderr.slice(-3000)}`)
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as PythonRecord)
}

const CURRENCIES = ['EUR', 'NOK', 'USD'] as const
const STATUSES = ['OPEN', 'SHIPPED'] as const
const TEXT = 'ünïcødé ✓'
const BIG_BASE = 9007199254740993n

/** Record i of an interop run: the same formula as record(i) in confluent_interop.py. */
export function expectedRecord(i: number) {
  return {
    id: `r${i}`,
    seq: i,
    weight: i + 0.25,
    express: i % 2 === 0,
    tags: i % 3 === 0 ? [] : [`t${i}`, TEXT],
    status: STATUSES[i % 2] as (typeof STATUSES)[number],
    units: (BIG_BASE + BigInt(i)).toString(),
    currency: CURRENCIES[i % 3] as string,
    big: (2n ** 64n - 1n - BigInt(i)).toString(),
    checksum: Buffer.from([i % 256, 255 - (i % 256)]),
    sku: `s${i}`,
    quantity: i % 5,
    /** The Avro `long`: avsc reads only safe integers, so Avro's record keeps below 2^53. */
    avroUnits: i * 1_000_000_007,
  }
}
