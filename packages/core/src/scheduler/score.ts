import type { BidScore, BidShareMode } from '../events/bodies.ts'
import type { JobState, TeamState } from '../fold/types.ts'
import { failoverCoordinators, rendezvousWeight } from '../fold/authority.ts'

export { rendezvousWeight }

/**
 * What lending a peer the way its owner chose costs its bids, with the user away and at the
 * keyboard. A dedicated box pays nothing, so it beats a shared or idle peer whose bid is otherwise
 * the same, whoever is at either keyboard. An `off` peer does not bid; a bid that says so anyway
 * ranks last.
 */
const SHARE_PENALTY: Record<BidShareMode, { away: number, active: number }> = {
  dedicated: { away: 0, active: 0 },
  shared: { away: 5, active: 25 },
  idle: { away: 10, active: 1000 },
  'idle-only': { away: 10, active: 1000 },
  off: { away: 1000, active: 1000 }
}

/**
 * How well a peer suits a job; higher is better. Free slots, cores and a warm workspace help; load,
 * lending a machine that is not dedicated (more while its user is active), recent failures and
 * having run an earlier attempt of the same job (a retry prefers another runner) hurt.
 * Deterministic; ties are broken by peer id by callers.
 */
export function bidScore (score: BidScore, peer: string, job: JobState): number {
  let s = 100
  s += 8 * Math.min(score.freeSlots, 4)
  s += 4 * Math.log2(Math.max(1, score.cores))
  s -= 20 * Math.min(score.load, 2)
  if (score.warm) s += 30
  const penalty = SHARE_PENALTY[score.shareMode]
  s -= score.userActive ? penalty.active : penalty.away
  s -= 10 * Math.min(score.recentFailures, 5)
  if (job.attempts.some((a) => a.runner === peer)) s -= 60
  return s
}

/**
 * The peer that coordinates a job: its origin while the origin is live, otherwise the live peer
 * ranked first by rendezvous hashing of the job id; in a strict team only among the members the
 * fold lets take over (`failoverCoordinators`). `live` must include this peer itself.
 */
export function coordinatorFor (job: JobState, live: readonly string[], team?: TeamState): string | undefined {
  if (live.includes(job.origin)) return job.origin
  const allowed = team?.mode === 'strict' ? new Set(failoverCoordinators(job.id, job.origin, Object.keys(team.members))) : undefined
  let best: string | undefined
  let bestWeight = ''
  for (const peer of live) {
    if (allowed !== undefined && !allowed.has(peer)) continue
    const w = rendezvousWeight(job.id, peer)
    if (best === undefined || w > bestWeight) {
      best = peer
      bestWeight = w
    }
  }
  return best
}

/** Picks the best bid of a job: highest score, then lowest peer id. */
export function bestBid<T extends { peer: string, score: BidScore }> (job: JobState, bids: readonly T[]): T | undefined {
  let best: T | undefined
  let bestScore = -Infinity
  for (const bid of bids) {
    const s = bidScore(bid.score, bid.peer, job)
    if (best === undefined || s > bestScore || (s === bestScore && bid.peer < best.peer)) {
      best = bid
      bestScore = s
    }
  }
  return best
}
