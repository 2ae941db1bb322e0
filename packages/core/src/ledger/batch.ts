/** The one LevelDB batch that commits an ingest: events, indexes, heads, evidence and status index together. */
import type { DecodedEvent } from '../events/envelope.ts'
import type { JobChange } from '../fold/types.ts'
import {
  EMPTY, encodeHead, encodeSeq, encodeWhere, eventKey, evidenceKey, faultyKey, headKey, idKey, jobKey, jobOf, statusKey
} from './keys.ts'
import type { Head } from './plan.ts'

/** One operation of a LevelDB batch. */
export type BatchOp = { type: 'put', key: Buffer, value: Uint8Array } | { type: 'del', key: Buffer }

/** Everything one commit writes. */
export interface Commit {
  /** Accepted events, per author in seq order. */
  accepted: readonly DecodedEvent[]
  /** Equivocating events to keep (already capped per author). */
  evidence: readonly DecodedEvent[]
  /** Authors whose faulty-from seq is new or lower. */
  faulty: ReadonlyMap<string, number>
  /** Job status changes returned by the fold for this commit, in order. */
  changes: readonly JobChange[]
}

/** The new head of every author that gained events. */
export function newHeads (accepted: readonly DecodedEvent[]): Map<string, Head> {
  const heads = new Map<string, Head>()
  for (const ev of accepted) heads.set(ev.event.author, { seq: ev.event.seq, id: ev.id, lamport: ev.event.lamport })
  return heads
}

/**
 * Builds the batch. Status changes are applied in the fold's order: a job that moves twice in one
 * commit ends with only its last status indexed, since LevelDB applies a batch's operations in order.
 */
export function buildBatch (commit: Commit, heads: ReadonlyMap<string, Head>): BatchOp[] {
  const ops: BatchOp[] = []
  for (const ev of commit.accepted) {
    const { author, seq } = ev.event
    ops.push({ type: 'put', key: eventKey(author, seq), value: ev.bytes })
    ops.push({ type: 'put', key: idKey(ev.id), value: encodeWhere('chain', author, seq) })
    const job = jobOf(ev)
    if (job !== undefined) ops.push({ type: 'put', key: jobKey(job, ev), value: EMPTY })
  }
  for (const [author, head] of heads) ops.push({ type: 'put', key: headKey(author), value: encodeHead(head.seq, head.id) })
  for (const ev of commit.evidence) {
    const { author, seq } = ev.event
    ops.push({ type: 'put', key: evidenceKey(author, seq, ev.id), value: ev.bytes })
    ops.push({ type: 'put', key: idKey(ev.id), value: encodeWhere('evidence', author, seq) })
  }
  for (const [author, fromSeq] of commit.faulty) ops.push({ type: 'put', key: faultyKey(author), value: encodeSeq(fromSeq) })
  for (const change of commit.changes) {
    if (change.before !== undefined) ops.push({ type: 'del', key: statusKey(change.before, change.job) })
    if (change.after !== undefined) ops.push({ type: 'put', key: statusKey(change.after, change.job), value: EMPTY })
  }
  return ops
}
