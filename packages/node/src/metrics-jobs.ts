import { terminalStatuses, type AcceptedListener, type DecodedEvent, type Fold, type JobChange } from '@devq/core'
import type { JobMetrics } from './metrics.ts'

/** Most jobs whose queued time is remembered at once; past it the oldest are forgotten (never observed). */
const QUEUED_KEPT = 10_000

/** What the job observer reads. */
export interface JobObserverComponents {
  fold: Pick<Fold, 'job'>
  /** Local monotonic ms: waits are measured on this peer's own clock, never another's wall clock. */
  now: () => number
}

/**
 * The ledger listener that feeds the job families:
 * - `devq_jobs_total{result}`: each change of a job into a terminal status (a job retried by hand
 *   and finished again counts again);
 * - `devq_queue_wait_seconds{priority}`: from when this peer saw a job queued (its announce
 *   arriving, its needs met, or requeued after an attempt) to when it saw it start. Jobs that were
 *   already past queued when they reached this peer (a history caught up by sync) are not observed;
 * - `devq_job_duration_seconds`: the run time a finish event reports, for finishes the fold
 *   counted for their attempt when they arrived (cached finishes ran nothing and are left out).
 * O(changes + events) per batch; runs on the ledger's queue, one batch at a time.
 */
export function observeJobs (c: JobObserverComponents, m: JobMetrics): AcceptedListener {
  const queuedSince = new Map<string, number>()
  const noteQueued = (job: string, now: number): void => {
    if (queuedSince.has(job)) return
    if (queuedSince.size >= QUEUED_KEPT) queuedSince.delete(queuedSince.keys().next().value!)
    queuedSince.set(job, now)
  }
  const noteChange = (ch: JobChange, now: number): void => {
    const { job, before, after } = ch
    if (after !== undefined && terminalStatuses.has(after) && before !== after) m.jobs.inc({ result: after })
    if (after === 'queued') return noteQueued(job, now)
    if (after === 'running' && before !== 'running') {
      const since = queuedSince.get(job)
      const priority = c.fold.job(job)?.priority
      if (since !== undefined && priority !== undefined) m.wait.observe({ priority }, (now - since) / 1000)
    }
    // Awarded jobs keep their time: an award that lapses before the start puts them back in the queue.
    if (after !== 'awarded') queuedSince.delete(job)
  }
  const noteFinish = (ev: DecodedEvent): void => {
    if (ev.event.type !== 'job.finished' || ev.event.body.status === 'cached') return
    const { job, attempt, status, durations } = ev.event.body
    const counted = c.fold.job(job)?.attempts.find((a) => a.n === attempt)
    if (counted?.runner !== ev.event.author || counted.outcome !== status || counted.finishedAt !== ev.event.time) return
    m.duration.observe(durations.runMs / 1000)
  }
  return (events, changes) => {
    const now = c.now()
    for (const ch of changes) noteChange(ch, now)
    for (const ev of events) noteFinish(ev)
  }
}
