import { systemClock, type DecodedEvent } from '@devq/core'

/** How many jobs' arrival times are kept; the oldest are forgotten first. */
const ARRIVALS_KEPT = 10_000

/**
 * When this peer first held each job's announce, on its own wall clock (ms): what the dashboard
 * shows as "seen here", and how a bench on one machine measures fan-out without polling error.
 * Local only, never replicated; jobs announced before this process started have none.
 */
export class JobArrivals {
  private readonly at = new Map<string, number>()

  /** An `onAccepted` listener. */
  readonly record = (events: readonly DecodedEvent[]): void => {
    const t = systemClock.wallMs()
    for (const ev of events) {
      if (ev.event.type !== 'job.announced' || this.at.has(ev.id)) continue
      if (this.at.size >= ARRIVALS_KEPT) this.at.delete(this.at.keys().next().value!)
      this.at.set(ev.id, t)
    }
  }

  /** Local wall ms the job's announce arrived, if this process saw it arrive. */
  of (jobId: string): number | undefined {
    return this.at.get(jobId)
  }
}
