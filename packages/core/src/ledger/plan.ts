/**
 * The chain rules of ingest, as pure functions over the decoded batch and the stored heads, so the
 * ledger can verify every signature that matters in one batch and write the outcome in one batch.
 */
import { decodeEvent, MAX_EVENT_BYTES, signatureBytes, type DecodedEvent } from '../events/envelope.ts'
import type { VerifyItem } from '../ports.ts'
import type { Equivocation, Rejection } from './types.ts'

/** An author's chain tip. `lamport` is kept in memory only (the stored head record has seq and id). */
export interface Head {
  seq: number
  id: string
  lamport: number
}

/**
 * How far above the highest Lamport value a ledger holds an event may be. An honest author writes
 * the highest it has seen plus one, so only a peer far behind meets a larger jump, and it takes the
 * event once sync has brought it closer. A hostile author needs 2^29 accepted events, each pushing
 * the maximum up by the whole step, to exhaust the safe integers.
 */
export const LAMPORT_MAX_STEP = 2 ** 24

/** Decoded, deduplicated input of one ingest. */
export interface Decoded {
  events: DecodedEvent[]
  rejected: Rejection[]
  duplicates: number
}

/** A second version of a known `(author, seq)`: an equivocation once its signature checks out. */
export interface Suspect {
  event: DecodedEvent
  /** The batch candidate it conflicts with; undefined when it conflicts with a stored event. */
  against?: DecodedEvent
}

/** The chain verdict before signatures are known. */
export interface Plan {
  /** Events that extend their author's chain, per author in seq order. */
  candidates: DecodedEvent[]
  suspects: Suspect[]
  rejected: Rejection[]
  duplicates: number
}

/** The final verdict. */
export interface Settled {
  accepted: DecodedEvent[]
  evidence: DecodedEvent[]
  equivocations: Equivocation[]
  rejected: Rejection[]
}

export function reject (ev: DecodedEvent, reason: Rejection['reason'], detail: string): Rejection {
  return { id: ev.id, author: ev.event.author, seq: ev.event.seq, reason, detail }
}

/** Size cap, decode and in-batch dedup. Pure CPU work: runs before the ingest queue so it overlaps other batches. */
export function decodeInput (input: readonly (Uint8Array | DecodedEvent)[]): Decoded {
  const out: Decoded = { events: [], rejected: [], duplicates: 0 }
  const seen = new Set<string>()
  for (const item of input) {
    let ev: DecodedEvent
    if (item instanceof Uint8Array) {
      const res = decodeEvent(item)
      if (!res.ok) {
        out.rejected.push({ reason: res.reason, detail: res.detail })
        continue
      }
      ev = res.value
    } else {
      ev = item
      if (ev.bytes.length > MAX_EVENT_BYTES) {
        out.rejected.push(reject(ev, 'too_large', `${ev.bytes.length} bytes > ${MAX_EVENT_BYTES}`))
        continue
      }
    }
    if (seen.has(ev.id)) {
      out.duplicates++
      continue
    }
    seen.add(ev.id)
    out.events.push(ev)
  }
  return out
}

/** Groups events by author, each group in (seq, id) order so every peer walks a batch the same way. */
export function groupByAuthor (events: readonly DecodedEvent[]): Map<string, DecodedEvent[]> {
  const groups = new Map<string, DecodedEvent[]>()
  for (const ev of events) {
    const group = groups.get(ev.event.author)
    if (group === undefined) groups.set(ev.event.author, [ev])
    else group.push(ev)
  }
  for (const group of groups.values()) {
    group.sort((a, b) => a.event.seq - b.event.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }
  return groups
}

/**
 * Walks each author's events against its stored head and the batch itself. `known` holds the ids
 * already stored among the events at or below their stored head (the only ones that can be known).
 */
export function planChains (groups: ReadonlyMap<string, DecodedEvent[]>, heads: ReadonlyMap<string, Head>, known: ReadonlySet<string>, maxLamport: number): Plan {
  // The ceiling rises with what this batch takes, so a peer far behind catches up in one answer.
  let ceiling = maxLamport + LAMPORT_MAX_STEP
  const plan: Plan = { candidates: [], suspects: [], rejected: [], duplicates: 0 }
  for (const [author, group] of groups) {
    const stored = heads.get(author)
    const storedSeq = stored?.seq ?? 0
    let seq = storedSeq
    let id = stored?.id ?? null
    let lamport = stored?.lamport ?? 0
    const inBatch = new Map<number, DecodedEvent>()
    for (const ev of group) {
      const { seq: evSeq, prev } = ev.event
      if (evSeq <= seq) {
        if (known.has(ev.id)) plan.duplicates++
        else plan.suspects.push({ event: ev, against: evSeq > storedSeq ? inBatch.get(evSeq) : undefined })
      } else if (evSeq > seq + 1) {
        plan.rejected.push(reject(ev, 'gap', `seq ${evSeq} but the chain is at ${seq}`))
      } else if (prev !== id) {
        plan.rejected.push(reject(ev, 'bad_prev', `prev ${String(prev)} but seq ${seq} is ${String(id)}`))
      } else if (ev.event.lamport <= lamport) {
        plan.rejected.push(reject(ev, 'bad_lamport', `lamport ${ev.event.lamport} is not above ${lamport}, the author's previous`))
      } else if (ev.event.lamport > ceiling) {
        plan.rejected.push(reject(ev, 'lamport_ahead', `lamport ${ev.event.lamport} is more than ${LAMPORT_MAX_STEP} above the highest held`))
      } else {
        plan.candidates.push(ev)
        inBatch.set(evSeq, ev)
        seq = evSeq
        id = ev.id
        lamport = ev.event.lamport
        ceiling = Math.max(ceiling, lamport + LAMPORT_MAX_STEP)
      }
    }
  }
  return plan
}

/** What to verify: candidates, then suspects, in one list. */
export function verifyItems (plan: Plan): VerifyItem[] {
  const item = (ev: DecodedEvent): VerifyItem => ({ author: ev.event.author, message: ev.signed, signature: signatureBytes(ev.event) })
  return [...plan.candidates.map(item), ...plan.suspects.map((s) => item(s.event))]
}

/**
 * Applies signature results (`ok`, aligned with `verifyItems`). A bad signature rejects that event
 * and, because later events chain onto it, every later candidate of the author (`gap`). A suspect
 * is evidence only if it is signed and what it conflicts with was accepted.
 */
export function settle (plan: Plan, ok: readonly boolean[]): Settled {
  const out: Settled = { accepted: [], evidence: [], equivocations: [], rejected: [...plan.rejected] }
  const broken = new Set<string>()
  const accepted = new Set<DecodedEvent>()
  plan.candidates.forEach((ev, i) => {
    const author = ev.event.author
    if (broken.has(author)) {
      out.rejected.push(reject(ev, 'gap', 'follows an event with a bad signature'))
    } else if (ok[i] !== true) {
      broken.add(author)
      out.rejected.push(reject(ev, 'bad_signature', 'signature does not verify against the author key'))
    } else {
      out.accepted.push(ev)
      accepted.add(ev)
    }
  })
  plan.suspects.forEach((s, i) => {
    const ev = s.event
    if (ok[plan.candidates.length + i] !== true) {
      out.rejected.push(reject(ev, 'bad_signature', 'signature does not verify against the author key'))
    } else if (s.against !== undefined && !accepted.has(s.against)) {
      out.rejected.push(reject(ev, 'gap', 'conflicts with a rejected event of this batch'))
    } else {
      out.evidence.push(ev)
      out.equivocations.push({ author: ev.event.author, seq: ev.event.seq })
    }
  })
  return out
}
