/** Read-only queries over the store. They read LevelDB directly and never wait for the ingest queue. */
import { sha256Hex, type DecodedEvent } from '../events/envelope.ts'
import type { JobStatus } from '../fold/types.ts'
import { authorEvents, decodeWhere, eventKey, evidenceKey, evidenceRange, idKey, jobRange, parseJobKey, parseStatusKey, statusRange } from './keys.ts'
import type { Head } from './plan.ts'
import type { LedgerDb } from './store.ts'
import { decodeStored } from './stored.ts'
import { TIP_CHARS, type MissingLimits, type PeerKnowledge } from './types.ts'

const HEX_ID = /^[0-9a-f]{64}$/
const READ_CHUNK = 256

function seqIn (vv: Readonly<Record<string, unknown>>, author: string): number {
  const v = Object.hasOwn(vv, author) ? vv[author] : 0
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0
}

/**
 * Evidence for an author the peer does not know as faulty from `fromSeq`: this ledger's chain
 * event at that seq and the other versions kept, so the peer holds both sides of the fork.
 */
async function evidenceFor (db: LedgerDb, author: string, fromSeq: number, theirs: Readonly<Record<string, unknown>>, have: number): Promise<Uint8Array[]> {
  const known = seqIn(theirs, author)
  // A peer that lacks the chain below the fork would refuse the evidence as a gap: the chain comes first.
  if ((known > 0 && known <= fromSeq) || have < fromSeq - 1) return []
  const chain = await db.get(eventKey(author, fromSeq), { valueEncoding: 'view' })
  const others = await db.values({ ...evidenceRange(author, fromSeq), keyEncoding: 'buffer', valueEncoding: 'view' }).all()
  return chain === undefined ? others : [chain, ...others]
}

/** Whether the peer's event at its head seq `have` is another than this ledger's: the author forked. */
async function tipDiffers (db: LedgerDb, head: Head, author: string, have: number, tip: unknown): Promise<boolean> {
  if (typeof tip !== 'string' || tip.length !== TIP_CHARS || have < 1 || have > head.seq) return false
  if (have === head.seq) return !head.id.startsWith(tip)
  const bytes = await db.get(eventKey(author, have), { valueEncoding: 'view' })
  return bytes !== undefined && !sha256Hex(bytes).startsWith(tip)
}

/** Reads an author's chain events `from..to` into `take` until it refuses one; false then. */
async function readChain (db: LedgerDb, author: string, from: number, to: number, take: (value: Uint8Array) => boolean): Promise<boolean> {
  const it = db.values({ ...authorEvents(author, from, to), keyEncoding: 'buffer', valueEncoding: 'view' })
  try {
    for (;;) {
      const values = await it.nextv(READ_CHUNK)
      if (values.length === 0) return true
      for (const value of values) if (!take(value)) return false
    }
  } finally {
    await it.close()
  }
}

/**
 * See `Ledger.missingFor`. Evidence the peer lacks comes first; then authors in id order, each
 * from the peer's seq on. A faulty author's chain is served only up to the seq it forked at, since
 * the fold ignores the rest. Where the peer's tip is another event than this ledger's at that seq,
 * the author's chain is sent from seq 1, so the peer finds the lowest seq the two forks part at.
 */
export async function missingFor (db: LedgerDb, heads: ReadonlyMap<string, Head>, faulty: ReadonlyMap<string, number>, vv: Readonly<Record<string, unknown>>, limits: MissingLimits, peer: PeerKnowledge = {}): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  let bytes = 0
  // Always takes the first group, so a peer with a tiny byte cap still makes progress. The versions
  // of one fork travel as one group (at most MAX_EVIDENCE_PER_AUTHOR + 1 events): split over
  // answers, a peer could be sent the one it holds every time and never see the other.
  const takeAll = (values: readonly Uint8Array[]): boolean => {
    const size = values.reduce((n, v) => n + v.length, 0)
    if (out.length > 0 && (out.length + values.length > limits.maxEvents || bytes + size > limits.maxBytes)) return false
    out.push(...values)
    bytes += size
    return true
  }
  const theirFaulty = peer.faulty ?? {}
  for (const [author, fromSeq] of [...faulty].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!takeAll(await evidenceFor(db, author, fromSeq, theirFaulty, seqIn(vv, author)))) return out
  }
  const tips = peer.tips ?? {}
  for (const author of [...heads.keys()].sort()) {
    const head = heads.get(author)!
    let have = seqIn(vv, author)
    const last = Math.min(head.seq, faulty.get(author) ?? Infinity)
    const tip = Object.hasOwn(tips, author) ? tips[author] : undefined
    // The peer's tip is its head, or for an author it knows as faulty the event before that fork.
    const theirFork = seqIn(theirFaulty, author)
    const tipSeq = theirFork > 0 ? theirFork - 1 : have
    if ((theirFork > 0 || !faulty.has(author)) && await tipDiffers(db, head, author, tipSeq, tip)) have = 0
    if (have >= last) continue
    if (!await readChain(db, author, have + 1, last, (value) => takeAll([value]))) return out
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
