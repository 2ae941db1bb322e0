/**
 * The ledger's whole LevelDB key layout: no other module builds or parses a key.
 *
 * Keys are bytes: a one-byte ASCII tag, then fixed-width big-endian integers, raw 32-byte ids and
 * 0x00-terminated peer ids, so LevelDB's bytewise order is the order the ledger scans in
 * (author then seq, job then lamport). Peer ids are base58 and never contain 0x00, which makes the
 * terminator unambiguous and keeps `alice` sorted before `alice2`.
 *
 * | tag | key                                        | value                                         |
 * |-----|--------------------------------------------|-----------------------------------------------|
 * | `m` | `m`                                        | meta record, JSON `{format, corrupt?}`        |
 * | `e` | `e` author 00 seq:u64                      | canonical event bytes (each author's chain)   |
 * | `i` | `i` id:32                                  | where the event is: kind:u8 seq:u64 author    |
 * | `j` | `j` job:32 lamport:u64 author 00 seq:u64   | empty: index by job                           |
 * | `s` | `s` status 00 job:32                       | empty: index by job status (fold changes)     |
 * | `h` | `h` author                                 | head: seq:u64 id:32                           |
 * | `x` | `x` author 00 seq:u64 id:32                | equivocation evidence: canonical event bytes  |
 * | `f` | `f` author                                 | faulty from: seq:u64                          |
 *
 * `kind` in the `i` value is 0 for a chain event (`e` key) and 1 for evidence (`x` key).
 */
import type { DecodedEvent } from '../events/envelope.ts'
import type { JobStatus } from '../fold/types.ts'

/** Version of this layout, stored in the meta record; bump it with a migration. */
export const FORMAT_VERSION = 1

const T_META = 0x6d // m
const T_EVENT = 0x65 // e
const T_ID = 0x69 // i
const T_JOB = 0x6a // j
const T_STATUS = 0x73 // s
const T_HEAD = 0x68 // h
const T_EVIDENCE = 0x78 // x
const T_FAULTY = 0x66 // f

/** Where an id points: the author's chain, or the evidence of an equivocation. */
export type IdKind = 'chain' | 'evidence'

/** A key range for an iterator. */
export interface KeyRange {
  gte: Buffer
  lt: Buffer
}

export const META_KEY = Buffer.from([T_META])
export const EMPTY = new Uint8Array(0)

function writeU64 (buf: Buffer, offset: number, n: number): void {
  buf.writeUInt32BE(Math.floor(n / 0x1_0000_0000), offset)
  buf.writeUInt32BE(n >>> 0, offset + 4)
}

function readU64 (buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) * 0x1_0000_0000 + buf.readUInt32BE(offset + 4)
}

function asBuffer (bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** tag, author, 0x00, then `tail` bytes for the caller to fill. */
function authorKey (tag: number, author: string, tail: number): Buffer {
  const len = Buffer.byteLength(author, 'latin1')
  const key = Buffer.allocUnsafe(1 + len + 1 + tail)
  key[0] = tag
  key.write(author, 1, 'latin1')
  key[1 + len] = 0
  return key
}

function prefixRange (tag: number): KeyRange {
  return { gte: Buffer.from([tag]), lt: Buffer.from([tag + 1]) }
}

/** The chain slot of `(author, seq)`. */
export function eventKey (author: string, seq: number): Buffer {
  const key = authorKey(T_EVENT, author, 8)
  writeU64(key, key.length - 8, seq)
  return key
}

/** Every chain event, ordered by author then seq. */
export const allEvents: KeyRange = prefixRange(T_EVENT)

/** Chain events of one author with `fromSeq <= seq <= toSeq`. */
export function authorEvents (author: string, fromSeq: number, toSeq: number): { gte: Buffer, lte: Buffer } {
  return { gte: eventKey(author, fromSeq), lte: eventKey(author, toSeq) }
}

/** Author and seq of a chain event key (also of an evidence key, which starts the same way). */
export function parseEventKey (bytes: Uint8Array): { author: string, seq: number } {
  const key = asBuffer(bytes)
  const end = key.indexOf(0, 1)
  return { author: key.toString('latin1', 1, end), seq: readU64(key, end + 1) }
}

/** The id index entry of an event. */
export function idKey (id: string): Buffer {
  const key = Buffer.allocUnsafe(33)
  key[0] = T_ID
  key.write(id, 1, 'hex')
  return key
}

/** Value of an id index entry. */
export function encodeWhere (kind: IdKind, author: string, seq: number): Buffer {
  const value = Buffer.allocUnsafe(9 + Buffer.byteLength(author, 'latin1'))
  value[0] = kind === 'chain' ? 0 : 1
  writeU64(value, 1, seq)
  value.write(author, 9, 'latin1')
  return value
}

export function decodeWhere (bytes: Uint8Array): { kind: IdKind, author: string, seq: number } {
  const value = asBuffer(bytes)
  return { kind: value[0] === 0 ? 'chain' : 'evidence', seq: readU64(value, 1), author: value.toString('latin1', 9) }
}

/**
 * The job an event belongs to: `body.job` for job events, its own id for `job.announced`
 * (a job's id is its announce event's id); undefined for team events.
 */
export function jobOf (ev: DecodedEvent): string | undefined {
  if (ev.event.type === 'job.announced') return ev.id
  const body = ev.event.body as { job?: unknown }
  return typeof body.job === 'string' ? body.job : undefined
}

/** The job index entry of an event of job `job`. */
export function jobKey (job: string, ev: DecodedEvent): Buffer {
  const { author, seq, lamport } = ev.event
  const len = Buffer.byteLength(author, 'latin1')
  const key = Buffer.allocUnsafe(1 + 32 + 8 + len + 1 + 8)
  key[0] = T_JOB
  key.write(job, 1, 'hex')
  writeU64(key, 33, lamport)
  key.write(author, 41, 'latin1')
  key[41 + len] = 0
  writeU64(key, 42 + len, seq)
  return key
}

/** Index entries of one job, in (lamport, author, seq) order. */
export function jobRange (job: string): KeyRange {
  const gte = Buffer.alloc(33)
  gte[0] = T_JOB
  gte.write(job, 1, 'hex')
  return { gte, lt: Buffer.concat([gte, Buffer.alloc(9, 0xff)]) }
}

/** The chain slot a job index key points at. */
export function parseJobKey (bytes: Uint8Array): { author: string, seq: number } {
  const key = asBuffer(bytes)
  const end = key.indexOf(0, 41)
  return { author: key.toString('latin1', 41, end), seq: readU64(key, end + 1) }
}

/** The status index entry of a job. */
export function statusKey (status: JobStatus, job: string): Buffer {
  const len = Buffer.byteLength(status, 'latin1')
  const key = Buffer.allocUnsafe(1 + len + 1 + 32)
  key[0] = T_STATUS
  key.write(status, 1, 'latin1')
  key[1 + len] = 0
  key.write(job, 2 + len, 'hex')
  return key
}

/** Status index entries of one status, or of all statuses. */
export function statusRange (status?: JobStatus): KeyRange {
  if (status === undefined) return prefixRange(T_STATUS)
  const gte = statusKey(status, '00'.repeat(32))
  return { gte, lt: Buffer.concat([gte.subarray(0, gte.length - 32), Buffer.alloc(33, 0xff)]) }
}

export function parseStatusKey (bytes: Uint8Array): { status: JobStatus, job: string } {
  const key = asBuffer(bytes)
  const end = key.indexOf(0, 1)
  return { status: key.toString('latin1', 1, end) as JobStatus, job: key.toString('hex', end + 1) }
}

/** The head record of an author: its highest contiguous seq and that event's id. */
export function headKey (author: string): Buffer {
  return Buffer.concat([Buffer.from([T_HEAD]), Buffer.from(author, 'latin1')])
}

export const allHeads: KeyRange = prefixRange(T_HEAD)

export function encodeHead (seq: number, id: string): Buffer {
  const value = Buffer.allocUnsafe(40)
  writeU64(value, 0, seq)
  value.write(id, 8, 'hex')
  return value
}

export function decodeHead (key: Uint8Array, value: Uint8Array): { author: string, seq: number, id: string } {
  const v = asBuffer(value)
  return { author: asBuffer(key).toString('latin1', 1), seq: readU64(v, 0), id: v.toString('hex', 8, 40) }
}

/** Where a second (or third...) version of `(author, seq)` is kept as evidence. */
export function evidenceKey (author: string, seq: number, id: string): Buffer {
  const key = authorKey(T_EVIDENCE, author, 40)
  writeU64(key, key.length - 40, seq)
  key.write(id, key.length - 32, 'hex')
  return key
}

export const allEvidence: KeyRange = prefixRange(T_EVIDENCE)

/** The evidence kept for one `(author, seq)`. */
export function evidenceRange (author: string, seq: number): KeyRange {
  return { gte: evidenceKey(author, seq, '00'.repeat(32)), lt: evidenceKey(author, seq + 1, '00'.repeat(32)) }
}

/** The faulty record of an author: equivocation seen at `fromSeq` (the lowest one). */
export function faultyKey (author: string): Buffer {
  return Buffer.concat([Buffer.from([T_FAULTY]), Buffer.from(author, 'latin1')])
}

export const allFaulty: KeyRange = prefixRange(T_FAULTY)

export function encodeSeq (seq: number): Buffer {
  const value = Buffer.allocUnsafe(8)
  writeU64(value, 0, seq)
  return value
}

export function decodeFaulty (key: Uint8Array, value: Uint8Array): { author: string, fromSeq: number } {
  return { author: asBuffer(key).toString('latin1', 1), fromSeq: readU64(asBuffer(value), 0) }
}
