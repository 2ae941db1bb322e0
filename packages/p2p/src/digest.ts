/**
 * Sync on a difference instead of on a timer. Each heartbeat this peer publishes carries a summary
 * of its ledger (`PresenceInfo.ledger`): a digest of what its sync request would say (version
 * vector, faulty authors, chain tips), and the length of its own chain. A receiver pulls from the
 * sender when the sender's own chain is longer than what the receiver holds of it, or when the
 * digests differ while the sender's stayed the same since its previous heartbeat (so events still
 * on their way by gossip do not start a sync). In a quiet team every digest is the same and
 * nobody syncs.
 */
import { canonicalBytes, sha256Hex, type LedgerSummary, type Logger } from '@devq/core'
import { PRESENCE_MAX_TRACKED_PEERS } from './limits.ts'
import type { MeshLedger } from './types.ts'

/** What the watch needs. */
export interface DigestWatchDeps {
  ledger: MeshLedger
  selfId: string
  /** Starts a background pull from `peer` (deduplicated by the syncer). */
  request: (peer: string, why: 'behind' | 'digest') => void
  logger: Logger
}

/** This peer's ledger summary, and the heartbeats of others that may show it lacks something. */
export interface DigestWatch {
  /** This peer's summary now, for its next heartbeat; recomputed only after the ledger changed. */
  own(): Promise<LedgerSummary>
  /** A verified heartbeat of `peer` carried `theirs`. Never throws. */
  observe(peer: string, theirs: LedgerSummary | undefined): void
  close(): void
}

/** The digest of a ledger: 16 hex digits of the sha256 of its sync request. */
export async function ledgerDigest (ledger: MeshLedger): Promise<string> {
  return sha256Hex(canonicalBytes({ vv: ledger.versionVector(), faulty: ledger.faulty(), tips: await ledger.tips() })).slice(0, 16)
}

export function createDigestWatch (deps: DigestWatchDeps): DigestWatch {
  const { ledger, selfId } = deps
  let cached: Promise<LedgerSummary> | undefined
  const offAccepted = ledger.onAccepted(() => { cached = undefined })
  /** Per peer: the digest of its last heartbeat, and the digest it had when this peer last pulled from it for a difference. */
  const seen = new Map<string, { digest: string, pulledAt?: string }>()
  const own = async (): Promise<LedgerSummary> => {
    cached ??= ledgerDigest(ledger).then((digest) => ({ digest, head: ledger.versionVector()[selfId] ?? 0 }))
    return await cached
  }
  async function judge (peer: string, theirs: LedgerSummary): Promise<void> {
    const last = seen.get(peer)
    seen.delete(peer)
    if (seen.size >= PRESENCE_MAX_TRACKED_PEERS) seen.delete(seen.keys().next().value!)
    const entry: { digest: string, pulledAt?: string } = { digest: theirs.digest, ...(last?.pulledAt === undefined ? {} : { pulledAt: last.pulledAt }) }
    seen.set(peer, entry)
    if (theirs.head > (ledger.versionVector()[peer] ?? 0)) return deps.request(peer, 'behind')
    const mine = await own()
    // One pull per digest of theirs: if ours still differs then, it is ours that is ahead, and
    // the other side pulls when it sees our heartbeat.
    if (mine.digest === theirs.digest || last?.digest !== theirs.digest || entry.pulledAt === theirs.digest) return
    entry.pulledAt = theirs.digest
    deps.request(peer, 'digest')
  }
  return {
    own,
    observe (peer, theirs) {
      if (theirs === undefined || peer === selfId) return
      judge(peer, theirs).catch((err: unknown) => { deps.logger.debug({ err, remote: peer }, 'ledger digest check failed') })
    },
    close: offAccepted
  }
}
