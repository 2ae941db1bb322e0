/**
 * Ledger events on gossip: judging incoming messages by handing them to the ledger, and pushing
 * this peer's own new events, in bundles when several are ready at once (see ledger-bundle.ts).
 */
import { decodeEvent, type DecodedEvent, type IngestResult, type Logger, type RejectReason } from '@devq/core'
import { joinBundle, splitBundle, takeBundle, type BundleLimits } from './ledger-bundle.ts'
import { LEDGER_BATCH, LEDGER_BUNDLE, MAX_LEDGER_MESSAGE_BYTES } from './limits.ts'
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

/** Judges one incoming ledger message (its raw data). Never throws. */
export type LedgerJudge = (data: Uint8Array) => Promise<LedgerVerdict>

/**
 * Reasons an honest forwarder can relay: the event's chain does not fit ours yet (`gap`), or its
 * author broke its own chain (`bad_prev`, `faulty_author`). The sender is not blamed for those.
 */
const HONEST: ReadonlySet<RejectReason> = new Set<RejectReason>(['gap', 'bad_prev', 'faulty_author', 'lamport_ahead'])

const ACCEPT: LedgerVerdict = { action: 'accept', gap: false }
const DUPLICATE: LedgerVerdict = { action: 'ignore', reason: 'duplicate', gap: false }
const UNAVAILABLE: LedgerVerdict = { action: 'ignore', reason: 'ledger_unavailable', gap: false }

function refused (reason: RejectReason): LedgerVerdict {
  return { action: HONEST.has(reason) ? 'ignore' : 'reject', reason, gap: reason === 'gap' }
}

/**
 * Maps one ingest's result back to each event of the batch. The result is not per input, so events
 * are matched by id. An event neither accepted nor rejected was a duplicate, unless its (author,
 * seq) equivocated: then it is the signed evidence, worth spreading so every peer marks the author
 * faulty (and whatever else it is, it was stored or verified, so accepting it forwards nothing forged).
 */
export function verdictsOf (batch: readonly DecodedEvent[], result: IngestResult): LedgerVerdict[] {
  const accepted = new Set(result.accepted.map((ev) => ev.id))
  const rejected = new Map<string, RejectReason>()
  for (const r of result.rejected) if (r.id !== undefined) rejected.set(r.id, r.reason)
  const equivocated = new Set(result.equivocations.map((e) => `${e.author}/${e.seq}`))
  return batch.map((ev) => {
    if (accepted.has(ev.id)) return ACCEPT
    const reason = rejected.get(ev.id)
    if (reason !== undefined) return refused(reason)
    return equivocated.has(`${ev.event.author}/${ev.event.seq}`) ? ACCEPT : DUPLICATE
  })
}

interface Waiting {
  event: DecodedEvent
  resolve: (verdict: LedgerVerdict) => void
}

/** Ingests one batch and settles each message's verdict; a failing ledger (closed, write error) ignores them all. */
async function ingestBatch (ledger: MeshLedger, batch: readonly Waiting[], logger: Logger): Promise<void> {
  const events = batch.map((w) => w.event)
  let verdicts: LedgerVerdict[]
  try {
    verdicts = verdictsOf(events, await ledger.ingest(events))
  } catch (err) {
    logger.warn({ err, events: events.length }, 'ledger refused a gossip batch; ignoring it')
    verdicts = events.map(() => UNAVAILABLE)
  }
  batch.forEach((w, i) => { w.resolve(verdicts[i] ?? UNAVAILABLE) })
}

/**
 * One verdict for a bundle from its events' verdicts: a forgery among them condemns the message;
 * otherwise it is worth forwarding if any event was new; otherwise it is ignored, with a gap if
 * any event was ahead of this peer's chain.
 */
export function bundleVerdict (verdicts: readonly LedgerVerdict[]): LedgerVerdict {
  return verdicts.find((v) => v.action === 'reject') ??
    verdicts.find((v) => v.action === 'accept') ??
    verdicts.find((v) => v.gap) ??
    verdicts[0] ?? UNAVAILABLE
}

/** Decodes every event of a message; refuses the whole message for the first bad one, or for mixing authors. */
function decodeMessage (data: Uint8Array): DecodedEvent[] | LedgerVerdict {
  if (data.length > MAX_LEDGER_MESSAGE_BYTES) return refused('too_large')
  const parts = splitBundle(data, LEDGER_BUNDLE.maxEvents)
  if (parts === undefined) return refused('too_large')
  const events: DecodedEvent[] = []
  for (const part of parts) {
    const decoded = decodeEvent(part)
    if (!decoded.ok) return refused(decoded.reason)
    events.push(decoded.value)
  }
  const author = events[0]?.event.author
  return events.every((ev) => ev.event.author === author) ? events : refused('malformed')
}

/**
 * Judges incoming ledger messages by ingesting them in micro-batches, since per-message ingest
 * (one signature check, LevelDB write, fold pass and scheduler pass each) caps throughput under a
 * burst. Each message is decoded here first, so malformed input is refused at once and the rest
 * can be matched back by event id. The ledger still checks chain, membership and signatures of
 * every event, so nothing unauthenticated is accepted. One batch is in flight at a time: ingests
 * are serialized by the ledger anyway, and what arrives meanwhile joins the next batch.
 */
export function createLedgerJudge ({ ledger, logger }: { ledger: MeshLedger, logger: Logger }, { limits = LEDGER_BATCH }: { limits?: { maxEvents: number, delayMs: number } } = {}): LedgerJudge {
  let pending: Waiting[] = []
  // Ids waiting in `pending`: a copy of one is a duplicate, as a second ingest would call it.
  const pendingIds = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let busy = false
  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (busy || pending.length === 0) return
    const batch = pending.slice(0, limits.maxEvents)
    pending = pending.slice(limits.maxEvents)
    for (const w of batch) pendingIds.delete(w.event.id)
    busy = true
    void ingestBatch(ledger, batch, logger).finally(() => {
      busy = false
      flush()
    })
  }
  const judgeEvent = async (event: DecodedEvent): Promise<LedgerVerdict> => {
    if (pendingIds.has(event.id)) return DUPLICATE
    pendingIds.add(event.id)
    const verdict = new Promise<LedgerVerdict>((resolve) => { pending.push({ event, resolve }) })
    if (pending.length >= limits.maxEvents) flush()
    else timer ??= setTimeout(flush, limits.delayMs)
    return await verdict
  }
  return async (data) => {
    const events = decodeMessage(data)
    if (!Array.isArray(events)) return events
    return bundleVerdict(await Promise.all(events.map(judgeEvent)))
  }
}

/** Publishes encoded events on the ledger topic; resolves when handed to gossipsub. */
export type PublishBytes = (data: Uint8Array) => Promise<void>

/**
 * An `onAccepted` listener that gossips this peer's own new events in seq order. Events of others
 * are not re-published (gossipsub forwards what it accepted; sync does the rest), nor are own events
 * at or below `startSeq` (already out before a restart; sync serves them). One message is out at a
 * time, so peers see an author's events in order; what is written meanwhile leaves as one bundle.
 * Failures are logged: sync delivers those events.
 */
export function ownEventPublisher (selfId: string, startSeq: number, publish: PublishBytes, logger: Logger, limits: BundleLimits = LEDGER_BUNDLE): (events: readonly DecodedEvent[]) => void {
  let published = startSeq
  const queue: DecodedEvent[] = []
  let sending = false
  const drain = async (): Promise<void> => {
    sending = true
    while (queue.length > 0) {
      const bundle = takeBundle(queue, limits)
      await publish(joinBundle(bundle)).catch((err: unknown) => {
        logger.warn({ err, seq: bundle[0]?.event.seq, events: bundle.length }, 'gossiping own events failed; sync will deliver them')
      })
    }
    sending = false
  }
  return (events) => {
    for (const ev of events) {
      if (ev.event.author !== selfId || ev.event.seq <= published) continue
      published = ev.event.seq
      queue.push(ev)
    }
    if (!sending && queue.length > 0) void drain()
  }
}
