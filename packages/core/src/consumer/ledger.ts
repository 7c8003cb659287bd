import { createHash } from 'node:crypto'
import type { RawHeaders, RawRecord } from '../runtime/records.js'

/**
 * What a ledger entry of `<dlq>.replayed` says about the dead letter it notes: where it was
 * sent, when, and the record's fingerprint. Kafkajs' metadata has no topic ids, so nothing
 * tells a dead-letter topic deleted and created again from the one the ledger was written
 * for: the fingerprint does. A new record at a reused offset has another fingerprint, and
 * so is not taken for the one replayed before.
 * @internal
 */
export interface LedgerValue {
  target: string
  /** When the entry was written (epoch ms). */
  at: number
  /** {@link fingerprint} of the replayed record. Entries written before kafkit noted it have none. */
  fp?: string
}

/**
 * A record's fingerprint: its timestamp and 64 bits of a SHA-256 over the timestamp, key,
 * value and headers (names sorted, each value's bytes), as `<timestamp>-<16 hex digits>`. A dead
 * letter's headers hold its source's position and failure time, so two dead letters differ
 * in it even with the same key and value.
 */
export function fingerprint(record: Pick<RawRecord, 'timestamp' | 'key' | 'value' | 'headers'>): string {
  const hash = createHash('sha256')
  // Lengths before the bytes: a key "ab" with value "c" is not a key "a" with value "bc".
  const part = (bytes: Buffer | string | null | undefined) => {
    if (bytes === null || bytes === undefined) {
      hash.update('-')
      return
    }
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes
    hash.update(`${buffer.length}:`)
    hash.update(buffer)
  }
  part(record.timestamp)
  part(record.key)
  part(record.value)
  const headers: RawHeaders = record.headers
  for (const name of Object.keys(headers).sort()) {
    const value = headers[name]
    part(name)
    for (const one of Array.isArray(value) ? value : [value]) part(one)
  }
  return `${record.timestamp}-${hash.digest('hex').slice(0, 16)}`
}

/** Parses a ledger entry's value; `undefined` for one that is not a kafkit ledger entry. */
export function parseLedgerValue(value: Buffer): LedgerValue | undefined {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as Partial<LedgerValue>
    if (parsed === null || typeof parsed !== 'object') return undefined
    return { target: String(parsed.target ?? ''), at: Number(parsed.at ?? 0), ...(typeof parsed.fp === 'string' ? { fp: parsed.fp } : {}) }
  } catch {
    return undefined
  }
}

/** Offsets per block: a block of a partition is allocated once an entry falls in it. */
// Small, so a sparse ledger (a filtered replay: entries far apart) costs 128 bytes an entry at
// most, not 1 KiB; a dense one pays about 2 bytes an entry more for the map of blocks.
const BLOCK = 32
/** No entry at this offset. */
const ABSENT = 0
/** An entry without a fingerprint (written before kafkit noted them): it matches any record. */
const ANY = 2

/** 32 bits of a fingerprint's hash (which covers the timestamp too), odd: never {@link ABSENT} or {@link ANY}. */
function short(fp: string): number {
  const dash = fp.lastIndexOf('-')
  return (Number.parseInt(fp.slice(dash + 1, dash + 9), 16) | 1) >>> 0
}

/**
 * The replayed dead letters as the ledger lists them: per partition and offset, 32 bits of
 * the fingerprint of the record replayed from there, in blocks of 32 offsets (4 bytes per
 * entry, for a contiguous run of them; a block is allocated for the first entry in it). A
 * dead letter counts as replayed only when its own fingerprint matches, so a ledger that
 * outlived its dead-letter topic (deleted and created again) does not hide the new records
 * at the same offsets.
 * @internal
 */
export class ReplayLedger {
  readonly #partitions = new Map<number, Map<number, Uint32Array>>()

  /** Notes the entry of `partition`/`offset` (a later entry for it replaces an earlier one, as compaction does). */
  add(partition: number, offset: string | number, fp: string | undefined): void {
    const n = Number(offset)
    let blocks = this.#partitions.get(partition)
    if (blocks === undefined) this.#partitions.set(partition, (blocks = new Map()))
    const index = Math.floor(n / BLOCK)
    let block = blocks.get(index)
    if (block === undefined) blocks.set(index, (block = new Uint32Array(BLOCK)))
    block[n % BLOCK] = fp === undefined ? ANY : short(fp)
  }

  /** Removes the entry (a tombstone in the ledger: replayable again). */
  delete(partition: number, offset: string | number): void {
    const n = Number(offset)
    const block = this.#partitions.get(partition)?.get(Math.floor(n / BLOCK))
    if (block !== undefined) block[n % BLOCK] = ABSENT
  }

  /** Whether the ledger has an entry at this position, whatever its fingerprint. */
  listed(partition: number, offset: string | number): boolean {
    const n = Number(offset)
    const block = this.#partitions.get(partition)?.get(Math.floor(n / BLOCK))
    return block !== undefined && block[n % BLOCK] !== ABSENT
  }

  /**
   * Whether `record` (of `partition`/`offset`) was replayed: an entry at its position whose
   * fingerprint is the record's. `fp` is computed only when there is an entry.
   */
  replayed(partition: number, offset: string | number, fp: () => string): boolean {
    const n = Number(offset)
    const block = this.#partitions.get(partition)?.get(Math.floor(n / BLOCK))
    if (block === undefined) return false
    const noted = block[n % BLOCK]!
    if (noted === ABSENT) return false
    return noted === ANY || noted === short(fp())
  }

  /** Blocks held: what the memory grows with. */
  get blocks(): number {
    let n = 0
    for (const blocks of this.#partitions.values()) n += blocks.size
    return n
  }
}
