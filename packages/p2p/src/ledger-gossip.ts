/**
 * Ledger events on gossip: judging incoming messages by handing them to the ledger, and pushing
 * this peer's own new events. One event per message, as its canonical bytes (the ledger's wire form),
 * so the gossipsub message id (sha256 of the data) is the event id.
 */
import type { DecodedEvent, Logger, RejectReason } from '@devq/core'
import { MAX_LEDGER_MESSAGE_BYTES } from './limits.ts'
import type { MeshLedger } from './types.ts'

/** What to tell gossipsub. `reject` penalizes the forwarder, `ignore` does not; neither forwards. */
export type GossipAction = 'accept' | 'ignore' | 'reject'

/** The verdict on one ledger message. */
export interface LedgerVerdict {
  action: GossipAction
  /** Why it was not accepted (a core RejectReason, `duplicate` or `ledger_unavailable`). */
  reason?: string
  /** The event is ahead of what this peer holds: sync with the forwarder to fill the gap. */
  gap: boolean
}

/**
 * Reasons an honest forwarder can relay: the event's chain does not fit ours yet (`gap`), or its
 * author broke its own chain (`bad_prev`, `faulty_author`). The sender is not blamed for those.
 */
const HONEST: ReadonlySet<RejectReason> = new Set<RejectReason>(['gap', 'bad_prev', 'faulty_author'])

/**
 * Judges one incoming ledger message by ingesting it: the ledger decodes, checks the chain and
 * membership and verifies the author's signature, so nothing unauthenticated is accepted. Never
 * throws; a failing ledger (closed, write error) makes the message ignored and is logged.
 */
export async function judgeLedgerMessage (ledger: MeshLedger, data: Uint8Array, logger: Logger): Promise<LedgerVerdict> {
  if (data.length > MAX_LEDGER_MESSAGE_BYTES) return { action: 'reject', reason: 'too_large', gap: false }
  let result
  try {
    result = await ledger.ingest([data])
  } catch (err) {
    logger.warn({ err }, 'ledger refused a gossip message; ignoring it')
    return { action: 'ignore', reason: 'ledger_unavailable', gap: false }
  }
  // Evidence of an equivocation is worth spreading, so every peer marks the author faulty.
  if (result.accepted.length > 0 || result.equivocations.length > 0) return { action: 'accept', gap: false }
  const rejection = result.rejected[0]
  if (rejection !== undefined) {
    const action = HONEST.has(rejection.reason) ? 'ignore' : 'reject'
    return { action, reason: rejection.reason, gap: rejection.reason === 'gap' }
  }
  return { action: 'ignore', reason: 'duplicate', gap: false }
}

/** Publishes encoded events on the ledger topic; resolves when handed to gossipsub. */
export type PublishBytes = (data: Uint8Array) => Promise<void>

/**
 * An `onAccepted` listener that gossips this peer's own new events, in seq order, one message each.
 * Events of others are not re-published (gossipsub forwards what it accepted; sync does the rest),
 * nor are own events at or below `startSeq` (already out before a restart; sync serves them).
 * Publishing is serialized so peers see an author's events in order; failures are logged.
 */
export function ownEventPublisher (selfId: string, startSeq: number, publish: PublishBytes, logger: Logger): (events: readonly DecodedEvent[]) => void {
  let published = startSeq
  let tail: Promise<void> = Promise.resolve()
  return (events) => {
    for (const ev of events) {
      if (ev.event.author !== selfId || ev.event.seq <= published) continue
      published = ev.event.seq
      tail = tail.then(async () => { await publish(ev.bytes) }).catch((err: unknown) => {
        logger.warn({ err, seq: ev.event.seq }, 'gossiping own event failed; sync will deliver it')
      })
    }
  }
}
