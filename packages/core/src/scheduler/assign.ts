import type { BidScore } from '../events/bodies.ts'
import type { JobState, TeamState } from '../fold/types.ts'
import { groupKeyOf } from '../fold/groups.ts'
import type { PresenceInfo } from './presence.ts'
import { bidScore } from './score.ts'
import { holdsWarm, warmKeyOf } from './warm.ts'

/** Which concurrency groups and repos have work awarded or running, and how much. */
export interface ActiveIndex {
  groups: Set<string>
  repos: Map<string, number>
  /** Jobs awarded or running per runner. */
  runners: Map<string, number>
}

export const groupKey = (job: JobState): string | undefined =>
  job.group === undefined ? undefined : groupKeyOf(job.repo, job.origin, job.group.name)

/** Indexes the awarded and running jobs among `open`. */
export function activeIndex (open: Iterable<JobState>): ActiveIndex {
  const index: ActiveIndex = { groups: new Set(), repos: new Map(), runners: new Map() }
  for (const job of open) {
    if (job.status !== 'awarded' && job.status !== 'running') continue
    const g = groupKey(job)
    if (g !== undefined) index.groups.add(g)
    index.repos.set(job.repo, (index.repos.get(job.repo) ?? 0) + 1)
    const runner = job.attempts.find((a) => a.n === job.attempt)?.runner
    if (runner !== undefined) index.runners.set(runner, (index.runners.get(runner) ?? 0) + 1)
  }
  return index
}

/**
 * Whether a queued job may be awarded now: its retry backoff over (`backoffOver`, which the
 * caller measures on its own clock), its group idle, its repo under its cap.
 */
export function eligible (job: JobState, backoffOver: (job: JobState) => boolean, active: ActiveIndex): boolean {
  if (job.status !== 'queued' || !backoffOver(job)) return false
  const g = groupKey(job)
  if (g !== undefined && active.groups.has(g)) return false
  return job.repoCap === undefined || (active.repos.get(job.repo) ?? 0) < job.repoCap
}

/** Whether a peer may run a job: its labels cover the job's, and a sensitive job needs trust. */
export function canRun (job: JobState, peer: string, labels: readonly string[], team: TeamState): boolean {
  if (!job.labels.every((l) => labels.includes(l))) return false
  return !job.sensitive || peer === job.origin || isTrusted(team, peer)
}

/** Whether `peer` is a trusted member (or an admin) of `team`. */
export function isTrusted (team: TeamState, peer: string): boolean {
  const role = team.members[peer]
  return role === 'trusted' || role === 'admin'
}

/** The bid inputs a peer's presence implies for a job whose warm workspace key is `warmKey` (see `warmKeyOf`). */
export function scoreFromPresence (info: PresenceInfo, free: number, warmKey: string | undefined): BidScore {
  return {
    freeSlots: free,
    cores: info.cores,
    load: info.load,
    warm: holdsWarm(info.warmWorkspaces, warmKey),
    shareMode: info.shareMode,
    userActive: info.userActive,
    recentFailures: info.recentFailures
  }
}

/** A live peer and the slots it has free (slots minus awarded, running and outstanding bids). */
export interface RunnerSlots {
  info: PresenceInfo
  free: number
}

/**
 * Spreads the queue over the free slots of the grid: in queue order, each eligible job without bids
 * goes to the best-scoring live runner that can take it. Every peer computes the same plan from the
 * same fold and presence, so runners bid on different jobs instead of all on the first one; when
 * views differ, the coordinator's choice among bids settles it. Returns job id -> peer id.
 */
export function assignSlots (order: readonly JobState[], runners: readonly RunnerSlots[], backoffOver: (job: JobState) => boolean, active: ActiveIndex, team: TeamState): Map<string, string> {
  const plan = new Map<string, string>()
  const free = new Map(runners.map((r) => [r.info.peer, r.free]))
  let total = runners.reduce((n, r) => n + Math.max(0, r.free), 0)
  const groups = new Set(active.groups)
  const repos = new Map(active.repos)
  for (const job of order) {
    if (total <= 0) break
    if (!eligible(job, backoffOver, { groups, repos, runners: active.runners })) continue
    let best: RunnerSlots | undefined
    let bestScore = -Infinity
    // Once per job, not per runner: the key is a hash.
    const warmKey = warmKeyOf(job)
    for (const r of runners) {
      const f = free.get(r.info.peer) ?? 0
      if (f <= 0 || !canRun(job, r.info.peer, r.info.labels, team)) continue
      const s = bidScore(scoreFromPresence(r.info, f, warmKey), r.info.peer, job)
      if (s > bestScore || (s === bestScore && best !== undefined && r.info.peer < best.info.peer)) {
        best = r
        bestScore = s
      }
    }
    if (best === undefined) continue
    plan.set(job.id, best.info.peer)
    free.set(best.info.peer, (free.get(best.info.peer) ?? 0) - 1)
    total -= 1
    const g = groupKey(job)
    if (g !== undefined) groups.add(g)
    repos.set(job.repo, (repos.get(job.repo) ?? 0) + 1)
  }
  return plan
}
