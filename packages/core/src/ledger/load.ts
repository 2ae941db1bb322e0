/**
 * Rebuilding a ledger's memory from its store on open. Signatures are not re-checked (they were on
 * ingest), but every chain is: a gap, a wrong prev or an event that does not match its key means
 * the store is corrupt. Reads run ahead of decoding and the fold is fed in large chunks.
 */
import type { DecodedEvent } from '../events/envelope.ts'
import type { Fold } from '../fold/fold.ts'
import type { JobStatus } from '../fold/types.ts'
import { allEvents, allEvidence, allFaulty, allHeads, decodeFaulty, decodeHead, EMPTY, parseEventKey, parseStatusKey, statusKey, statusRange } from './keys.ts'
import type { Head } from './plan.ts'
import { decodeStored } from './stored.ts'
import { isCorruption, markCorrupt, type LedgerDb } from './store.ts'

const READ_CHUNK = 2048
/** LevelDB returns at most this many bytes per `nextv`; its 16 KiB default makes a reopen twice as slow. */
const READ_BYTES = 1024 * 1024
const FOLD_CHUNK = 16_384

/** An author that equivocated: from which seq, and how many evidence events are kept. */
export interface FaultyAuthor {
  fromSeq: number
  evidence: number
}

/** What open rebuilds. */
export interface Loaded {
  heads: Map<string, Head>
  faulty: Map<string, FaultyAuthor>
  maxLamport: number
  size: number
  /** Status index entries that disagreed with the fold and were rewritten. */
  statusFixes: number
}

class BrokenStore extends Error {}

/** Loads heads, lamport and faulty authors, feeds the fold, and repairs the status index. */
export async function loadLedger (db: LedgerDb, path: string, fold: Fold): Promise<Loaded> {
  try {
    const chains = await loadChains(db, fold)
    await checkHeads(db, chains.heads)
    const faulty = await loadFaulty(db, fold)
    const statusFixes = await reconcileStatusIndex(db, fold)
    return { ...chains, faulty, statusFixes }
  } catch (err) {
    if (err instanceof BrokenStore) return await markCorrupt(db, path, err.message)
    if (isCorruption(err)) return await markCorrupt(db, path, `LevelDB read failed: ${(err as Error).message}`)
    throw err
  }
}

function decodeChainEvent (value: Uint8Array, author: string, seq: number): DecodedEvent {
  let ev: DecodedEvent
  try {
    ev = decodeStored(value)
  } catch (err) {
    throw new BrokenStore(`event ${author}/${seq} is unparsable (${(err as Error).message})`)
  }
  const e = ev.event as Partial<DecodedEvent['event']> | null
  if (e === null || typeof e !== 'object' || e.author !== author || e.seq !== seq || typeof e.lamport !== 'number') {
    throw new BrokenStore(`the value under event key ${author}/${seq} is not that event`)
  }
  return ev
}

async function loadChains (db: LedgerDb, fold: Fold): Promise<Pick<Loaded, 'heads' | 'maxLamport' | 'size'>> {
  const heads = new Map<string, Head>()
  let maxLamport = 0
  let size = 0
  let author = ''
  let head: Head = { seq: 0, id: '', lamport: 0 }
  let chunk: DecodedEvent[] = []
  // highWaterMarkBytes is classic-level's read-ahead; other databases ignore it.
  const it = db.iterator({ ...allEvents, keyEncoding: 'buffer', valueEncoding: 'view', ...{ highWaterMarkBytes: READ_BYTES } })
  try {
    let pending = it.nextv(READ_CHUNK)
    for (;;) {
      const entries = await pending
      if (entries.length === 0) break
      // LevelDB reads the next chunk on its own thread while this one is decoded.
      pending = it.nextv(READ_CHUNK)
      for (const [key, value] of entries) {
        const k = parseEventKey(key)
        if (k.author !== author) {
          author = k.author
          head = { seq: 0, id: '', lamport: 0 }
        }
        const ev = decodeChainEvent(value, author, k.seq)
        if (k.seq !== head.seq + 1) throw new BrokenStore(`chain of ${author} jumps from seq ${head.seq} to ${k.seq}`)
        if (ev.event.prev !== (head.seq === 0 ? null : head.id)) throw new BrokenStore(`event ${author}/${k.seq} does not point at the hash of seq ${head.seq}`)
        head = { seq: k.seq, id: ev.id, lamport: ev.event.lamport }
        heads.set(author, head)
        if (ev.event.lamport > maxLamport) maxLamport = ev.event.lamport
        size++
        chunk.push(ev)
      }
      if (chunk.length >= FOLD_CHUNK) {
        fold.apply(chunk)
        chunk = []
      }
    }
  } finally {
    await it.close()
  }
  if (chunk.length > 0) fold.apply(chunk)
  return { heads, maxLamport, size }
}

/** Head records are written in the same batch as the events, so any disagreement is corruption. */
async function checkHeads (db: LedgerDb, heads: ReadonlyMap<string, Head>): Promise<void> {
  const records = await db.iterator({ ...allHeads, keyEncoding: 'buffer', valueEncoding: 'view' }).all()
  if (records.length !== heads.size) throw new BrokenStore(`${records.length} head records for ${heads.size} chains`)
  for (const [key, value] of records) {
    const rec = decodeHead(key, value)
    const head = heads.get(rec.author)
    if (head === undefined || head.seq !== rec.seq || head.id !== rec.id) {
      throw new BrokenStore(`head of ${rec.author} says ${rec.seq}/${rec.id}, the chain ends at ${head?.seq ?? 0}/${head?.id ?? '-'}`)
    }
  }
}

async function loadFaulty (db: LedgerDb, fold: Fold): Promise<Map<string, FaultyAuthor>> {
  const faulty = new Map<string, FaultyAuthor>()
  for (const [key, value] of await db.iterator({ ...allFaulty, keyEncoding: 'buffer', valueEncoding: 'view' }).all()) {
    const rec = decodeFaulty(key, value)
    faulty.set(rec.author, { fromSeq: rec.fromSeq, evidence: 0 })
    fold.markFaulty(rec.author, rec.fromSeq)
  }
  for (const key of await db.keys({ ...allEvidence, keyEncoding: 'buffer' }).all()) {
    const entry = faulty.get(parseEventKey(key).author)
    if (entry !== undefined) entry.evidence++
  }
  return faulty
}

/**
 * Makes the status index agree with the rebuilt fold. It is written with the fold's changes, so it
 * only disagrees if the fold's rules changed between versions; the fold is the authority.
 */
async function reconcileStatusIndex (db: LedgerDb, fold: Fold): Promise<number> {
  const expected = new Map<string, JobStatus>()
  for (const job of fold.jobs()) expected.set(job.id, job.status)
  const batch = db.batch()
  for (const key of await db.keys({ ...statusRange(), keyEncoding: 'buffer' }).all()) {
    const { status, job } = parseStatusKey(key)
    if (expected.get(job) === status) expected.delete(job)
    else batch.del(key)
  }
  for (const [job, status] of expected) batch.put(statusKey(status, job), EMPTY)
  const fixes = batch.length
  if (fixes > 0) await batch.write()
  else await batch.close()
  return fixes
}
