/**
 * Early fetches: a runner that bids for a job starts bringing its commit into the mirror, so the
 * award finds the source there. Only a runner that already mirrors the repository does (its pack
 * is a delta against what it holds); each early fetch has a deadline and a byte cap of its own,
 * so a lost bid or a stalling server costs little and never holds the mirror for long.
 */
import type { Clock, JobState } from '@devq/core'
import type { FetchResult } from '../git/fetch.ts'
import type { Mirrors } from '../git/mirrors.ts'

/** What an early fetch is allowed (ms, bytes, counts). */
export interface PrefetchLimits {
  /** Early fetches running at once; more are not started (default 2). */
  parallel: number
  /** Early fetches remembered until an attempt takes them (default 256). */
  keep: number
  /** An early fetch is aborted after this long (default 30 s). */
  deadlineMs: number
  /** An early fetch is aborted past this many pack bytes (default 16 MiB). */
  maxPackBytes: number
  /** An early fetch older than this is not credited to an attempt (default 2 min). */
  freshMs: number
}

export const DEFAULT_PREFETCH_LIMITS: PrefetchLimits = {
  parallel: 2, keep: 256, deadlineMs: 30_000, maxPackBytes: 16 * 1024 * 1024, freshMs: 120_000
}

export interface PrefetchComponents {
  mirrors: Pick<Mirrors, 'tips'>
  clock: Pick<Clock, 'monotonicMs'>
  /** Fetches `job`'s commit into the mirror within `signal` and `maxPackBytes`. */
  fetch(job: JobState, limits: { signal: AbortSignal, maxPackBytes: number }): Promise<FetchResult>
}

/** Early fetches of one runner. Safe to call from any number of concurrent callers. */
export interface Prefetcher {
  /**
   * Starts fetching `job`'s commit unless one is under way or the limits say no. Returns at once;
   * the promise (which never rejects) settles when the fetch it started, if any, has ended.
   */
  start(job: JobState): Promise<void>
  /**
   * The early fetch of `job`'s commit, taken once (a second job of the same commit moved no bytes
   * of its own); undefined when there is none or it is stale. Resolves to undefined when it failed.
   */
  take(job: JobState): Promise<FetchResult | undefined> | undefined
}

interface Early {
  at: number
  result: Promise<FetchResult | undefined>
  /** Set once the fetch ended without bringing anything (no mirror, failed, aborted). */
  empty: boolean
}

/** A new set of early fetches with the given limits. */
export function createPrefetcher (c: PrefetchComponents, limits: Partial<PrefetchLimits> = {}): Prefetcher {
  const l = { ...DEFAULT_PREFETCH_LIMITS, ...limits }
  const early = new Map<string, Early>()
  let inFlight = 0
  const keyOf = (job: JobState): string => `${job.repo}:${job.commit}`
  const stale = (e: Early): boolean => c.clock.monotonicMs() - e.at > l.freshMs

  async function fetchEarly (job: JobState, signal: AbortSignal): Promise<FetchResult | undefined> {
    // A first full clone by every bidder would flood the origin's uplink for one winner.
    if ((await c.mirrors.tips(job.repo, 1)).length === 0) return undefined
    return await c.fetch(job, { signal, maxPackBytes: l.maxPackBytes })
  }

  return {
    start (job) {
      const key = keyOf(job)
      const before = early.get(key)
      // One that came to nothing or went stale does not stand in the way of a new try.
      if (before !== undefined && !before.empty && !stale(before)) return Promise.resolve()
      if (inFlight >= l.parallel) return Promise.resolve()
      early.delete(key)
      if (early.size >= l.keep) early.delete(early.keys().next().value!)
      inFlight++
      const ctl = new AbortController()
      const timer = setTimeout(() => { ctl.abort() }, l.deadlineMs)
      timer.unref()
      const entry: Early = { at: c.clock.monotonicMs(), result: Promise.resolve(undefined), empty: false }
      entry.result = fetchEarly(job, ctl.signal).catch(() => undefined).then((got) => {
        entry.empty = got === undefined
        return got
      }).finally(() => {
        inFlight--
        clearTimeout(timer)
      })
      early.set(key, entry)
      return entry.result.then(() => {})
    },
    take (job) {
      const key = keyOf(job)
      const found = early.get(key)
      early.delete(key)
      if (found === undefined || stale(found)) return undefined
      return found.result
    }
  }
}
