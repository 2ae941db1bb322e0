import type { Clock } from '../ports.ts'
import { terminalStatuses, type JobState } from '../fold/types.ts'
import type { LedgerView } from './ports.ts'

/** The jobs among `jobs` that reached a terminal status. */
export function * closed (jobs: Iterable<JobState>): Generator<JobState> {
  for (const job of jobs) if (terminalStatuses.has(job.status)) yield job
}

/** The view restricted to the jobs `keep` accepts; queries of results and the team see everything. */
export function restrictedView (view: LedgerView, keep: (job: JobState) => boolean): LedgerView {
  return {
    job: (id) => { const job = view.job(id); return job !== undefined && keep(job) ? job : undefined },
    * openJobs () { for (const job of view.openJobs()) if (keep(job)) yield job },
    jobs: view.jobs.bind(view),
    succeededWithKey: view.succeededWithKey.bind(view),
    team: view.team.bind(view)
  }
}

/** Whether the view names a peer other than `peerId`: a team member, an origin or a runner. */
export function namesOtherPeers (view: LedgerView, peerId: string): boolean {
  if (Object.keys(view.team().members).some((m) => m !== peerId)) return true
  for (const job of view.jobs()) {
    if (job.origin !== peerId || job.attempts.some((a) => a.runner !== peerId)) return true
  }
  return false
}

/** Attempts `peer` ran that failed or were lost since `sinceWallMs`. */
export function countRecentFailures (view: LedgerView, peer: string, sinceWallMs: number): number {
  let n = 0
  for (const job of view.jobs()) {
    for (const a of job.attempts) {
      if (a.runner === peer && (a.finishedAt ?? 0) >= sinceWallMs && (a.outcome === 'failed' || a.outcome === 'lost')) n++
    }
  }
  return n
}

/** Memoizes `fn` for `ttlMs` of monotonic time: for figures that scan the whole ledger. */
export function every<T> (ttlMs: number, clock: Clock, fn: () => T): () => T {
  let at = -Infinity
  let value: T
  return () => {
    const now = clock.monotonicMs()
    if (now - at >= ttlMs) {
      value = fn()
      at = now
    }
    return value
  }
}
