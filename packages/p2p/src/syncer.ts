/**
 * When and with whom to sync: explicit `syncWith`, background requests (on identify, on a gossip
 * gap, on the timer), at most one run per peer at a time and SYNC_MAX_CONCURRENT background runs.
 */
import type { PeerId, Stream } from '@libp2p/interface'
import type { Logger } from '@devq/core'
import { SyncError } from './errors.ts'
import { SYNC_MAX_CONCURRENT, SYNC_MAX_ROUNDS, SYNC_TIMEOUT_MS } from './limits.ts'
import { bump, type MeshStats } from './stats.ts'
import { isViolation, pullOnce } from './sync.ts'
import type { MeshLedger, SyncReport } from './types.ts'

/** Opens a sync stream to `peer` (dialing it if needed). */
export type OpenSyncStream = (peer: PeerId, signal: AbortSignal) => Promise<Stream>

/** What the syncer needs. */
export interface SyncerDeps {
  ledger: MeshLedger
  stats: MeshStats
  logger: Logger
  open: OpenSyncStream
}

/** Runs syncs. `stop` aborts every run in flight; later calls fail with SyncError. */
export interface Syncer {
  /** Syncs with `peer` now (after any run with it already in flight). Throws SyncError. */
  syncWith(peer: PeerId): Promise<SyncReport>
  /** Syncs with `peer` in the background, unless a follow-up run is already queued or too many run. */
  request(peer: PeerId, why: string): void
  stop(): void
}

/** One request-answer round with `peer` on a fresh stream; counts what the ledger rejected. */
async function round (deps: SyncerDeps, stopped: AbortSignal, peer: PeerId): Promise<{ received: number, accepted: number, full: boolean }> {
  const signal = AbortSignal.any([stopped, AbortSignal.timeout(SYNC_TIMEOUT_MS)])
  const stream = await deps.open(peer, signal)
  try {
    const result = await pullOnce(stream, deps.ledger, signal)
    for (const r of result.rejected) bump(deps.stats.rejected.sync, r.reason)
    return result
  } catch (err) {
    if (isViolation(err)) bump(deps.stats.rejected.sync, 'bad_answer')
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

/** Rounds with `peer` while its answers are full and teach something, up to SYNC_MAX_ROUNDS. */
async function rounds (deps: SyncerDeps, stopped: AbortSignal, peer: PeerId): Promise<SyncReport> {
  const report: SyncReport = { peer: peer.toString(), rounds: 0, received: 0, accepted: 0 }
  if (stopped.aborted) throw new SyncError('the mesh is stopped', { peer: report.peer, detail: 'stopped' })
  deps.stats.syncs.started++
  try {
    for (;;) {
      const r = await round(deps, stopped, peer)
      report.rounds++
      deps.stats.syncs.rounds++
      report.received += r.received
      report.accepted += r.accepted
      deps.stats.syncs.eventsReceived += r.received
      deps.stats.syncs.eventsAccepted += r.accepted
      // Stop when the peer has no more, or when a full answer taught us nothing (it would repeat).
      if (!r.full || r.accepted === 0 || report.rounds >= SYNC_MAX_ROUNDS) break
    }
  } catch (err) {
    deps.stats.syncs.failed++
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    throw new SyncError(`sync with ${report.peer} failed: ${detail}`, { peer: report.peer, detail }, { cause: err, retryable: true })
  }
  deps.stats.syncs.succeeded++
  if (report.accepted > 0) deps.logger.debug({ ...report }, 'synced')
  return report
}

export function createSyncer (deps: SyncerDeps): Syncer {
  const stopper = new AbortController()
  const running = new Map<string, Promise<SyncReport>>()
  const queued = new Set<string>()

  function run (peer: PeerId): Promise<SyncReport> {
    const key = peer.toString()
    const prev = running.get(key)
    const next = (prev ?? Promise.resolve()).catch(() => {}).then(async () => await rounds(deps, stopper.signal, peer))
    running.set(key, next)
    const clear = (): void => { if (running.get(key) === next) running.delete(key) }
    next.then(clear, clear)
    return next
  }

  return {
    syncWith: run,
    request (peer, why) {
      const key = peer.toString()
      if (stopper.signal.aborted || queued.has(key)) return
      if (!running.has(key) && running.size >= SYNC_MAX_CONCURRENT) return
      if (running.has(key)) queued.add(key)
      run(peer).then(
        () => { queued.delete(key) },
        (err: unknown) => {
          queued.delete(key)
          if (!stopper.signal.aborted) deps.logger.debug({ err, remote: key, why }, 'background sync failed')
        }
      )
    },
    stop () {
      stopper.abort()
    }
  }
}
