import type { JobState } from '../fold/types.ts'

/**
 * When this peer learned of each open job's current attempt and of each bid on it, on its own
 * monotonic clock. Local and never replicated: durations that gate decisions (retry backoff, how
 * long a bid holds a slot) run from here, never from another peer's wall clock. Holds entries for
 * open jobs (and, until the next sweep, recently closed ones), so it is about as large as the queue.
 */
export interface LocalTimes {
  /** Notes the open jobs at local monotonic `nowMs`; call once per pass with the whole fold's open jobs. */
  observe(open: Iterable<JobState>, nowMs: number): void
  /** Local monotonic ms this peer first saw the job open (in any attempt), if it did. */
  jobSince(job: JobState): number | undefined
  /**
   * Whether the job's retry backoff is over: the fold's backoff (`notBefore - queuedAt`, a
   * duration) counted from when this peer first saw the attempt queued.
   */
  backoffOver(job: JobState, nowMs: number): boolean
  /** Ms since this peer first saw `peer`'s bid on the job's current attempt (0 if not yet seen). */
  bidAge(job: JobState, peer: string, nowMs: number): number
}

/** What this peer noted of one open job. */
interface Seen {
  /** When the job was first seen open. */
  since: number
  attempt: number
  /** When its current attempt was first seen queued. */
  queued: number | undefined
  /** When each bid on its current attempt was first seen, by bidder. */
  bids: Map<string, number> | undefined
  /** The pass that last saw the job open. */
  pass: number
}

/** How many passes go by between sweeps of jobs no longer open. */
const SWEEP_EVERY = 32

/** The local times of one scheduler; see `LocalTimes`. */
class FirstSeen implements LocalTimes {
  private readonly seen = new Map<string, Seen>()
  private passes = 0

  observe (open: Iterable<JobState>, nowMs: number): void {
    const pass = ++this.passes
    for (const job of open) {
      let e = this.seen.get(job.id)
      if (e === undefined) this.seen.set(job.id, e = { since: nowMs, attempt: job.attempt, queued: undefined, bids: undefined, pass })
      if (e.attempt !== job.attempt) {
        e.attempt = job.attempt
        e.queued = undefined
        e.bids = undefined
      }
      e.pass = pass
      if (e.queued === undefined && job.status === 'queued') e.queued = nowMs
      for (const bid of job.bids) {
        e.bids ??= new Map()
        if (!e.bids.has(bid.peer)) e.bids.set(bid.peer, nowMs)
      }
    }
    // Closed jobs drop out now and then, so the memory stays about as large as the open queue.
    if (pass % SWEEP_EVERY === 0) for (const [id, e] of this.seen) if (e.pass !== pass) this.seen.delete(id)
  }

  jobSince (job: JobState): number | undefined {
    return this.seen.get(job.id)?.since
  }

  backoffOver (job: JobState, nowMs: number): boolean {
    const backoffMs = Math.max(0, job.notBefore - job.queuedAt)
    if (backoffMs === 0) return true
    const since = this.current(job)?.queued
    return since !== undefined && nowMs - since >= backoffMs
  }

  bidAge (job: JobState, peer: string, nowMs: number): number {
    const seen = this.current(job)?.bids?.get(peer)
    return seen === undefined ? 0 : nowMs - seen
  }

  /** The entry of the job, if it is about the job's current attempt. */
  private current (job: JobState): Seen | undefined {
    const e = this.seen.get(job.id)
    return e?.attempt === job.attempt ? e : undefined
  }
}

/** Creates empty local times. */
export function createLocalTimes (): LocalTimes {
  return new FirstSeen()
}
