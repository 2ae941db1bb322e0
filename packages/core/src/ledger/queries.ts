/** Read-only queries over the store. They read LevelDB directly and never wait for the ingest queue. */
import type { DecodedEvent } from '../events/envelope.ts'
import type { JobStatus } from '../fold/types.ts'
import { authorEvents, decodeWhere, eventKey, evidenceKey, idKey, jobRange, parseJobKey, parseStatusKey, statusRange } from './keys.ts'
import type { Head } from './plan.ts'
import type { LedgerDb } from './store.ts'
import { decodeStored } from './stored.ts'
import type { MissingLimits } from './types.ts'

const HEX_ID = /^[0-9a-f]{64}$/
const READ_CHUNK = 256

function seqIn (vv: Readonly<Record<string, unknown>>, author: string): number {
  const v = Object.hasOwn(vv, author) ? vv[author] : 0
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0
}

/** See `Ledger.missingFor`. Authors are served in id order; each author's events ascend from the peer's seq. */
export async function missingFor (db: LedgerDb, heads: ReadonlyMap<string, Head>, vv: Readonly<Record<string, unknown>>, limits: MissingLimits): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  let bytes = 0
  const authors = [...heads.keys()].sort()
  for (const author of authors) {
    const head = heads.get(author)
    const have = seqIn(vv, author)
    if (head === undefined || have >= head.seq) continue
    const it = db.values({ ...authorEvents(author, have + 1, head.seq), keyEncoding: 'buffer', valueEncoding: 'view' })
    try {
      for (;;) {
        if (out.length >= limits.maxEvents) return out
        const values = await it.nextv(Math.min(READ_CHUNK, limits.maxEvents - out.length))
        if (values.length === 0) break
        for (const value of values) {
          // Always send at least one event, so a peer with a tiny byte cap still makes progress.
          if (out.length > 0 && bytes + value.length > limits.maxBytes) return out
          out.push(value)
          bytes += value.length
        }
      }
    } finally {
      await it.close()
    }
  }
  return out
}

/** See `Ledger.get`. */
export async function getEvent (db: LedgerDb, id: string): Promise<DecodedEvent | undefined> {
  if (!HEX_ID.test(id)) return undefined
  const where = await db.get(idKey(id))
  if (where === undefined) return undefined
  const { kind, author, seq } = decodeWhere(where)
  const bytes = await db.get(kind === 'chain' ? eventKey(author, seq) : evidenceKey(author, seq, id))
  return bytes === undefined ? undefined : decodeStored(bytes, id)
}

/** See `Ledger.eventsForJob`. */
export async function eventsForJob (db: LedgerDb, jobId: string): Promise<DecodedEvent[]> {
  if (!HEX_ID.test(jobId)) return []
  const keys = await db.keys({ ...jobRange(jobId), keyEncoding: 'buffer' }).all()
  if (keys.length === 0) return []
  const slots = keys.map((key) => parseJobKey(key))
  const values = await db.getMany(slots.map((s) => eventKey(s.author, s.seq)))
  const out: DecodedEvent[] = []
  for (const value of values) if (value !== undefined) out.push(decodeStored(value))
  return out
}

/** See `Ledger.jobsByState`. */
export async function jobsByState (db: LedgerDb, status: JobStatus): Promise<string[]> {
  const keys = await db.keys({ ...statusRange(status), keyEncoding: 'buffer' }).all()
  return keys.map((key) => parseStatusKey(key).job)
}
