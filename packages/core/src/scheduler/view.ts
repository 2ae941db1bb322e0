import type { Clock } from '../ports.ts'
import { terminalStatuses, type JobState } from '../fold/types.ts'
import type { LedgerView } from './ports.ts'

/** The jobs among `jobs` that reached a terminal status. */
export function * closed (jobs: Iterable<JobState>): Generator<JobState> {
  for (const job of jobs) if (terminalStatuses.has(job.status)) yield job
}

/** The view restricted to the jobs `peerId` announced. */
export function ownJobs (view: LedgerView, peerId: string): LedgerView {
  return {
    job: (id) => { const job = view.job(id); return job?.origin === peerId ? job : undefined },
    * openJobs () { for (const job of view.openJobs()) if (job.origin === peerId) yield job },
    jobs: view.jobs.bind(view),
    succeededWithKey: view.succeededWithKey.bind(view),
    team: view.team.bind(view)
  }
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
