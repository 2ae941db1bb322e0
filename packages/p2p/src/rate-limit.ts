/** Per-peer token buckets: the cheap first line against a peer that floods us. */
import { RATE_LIMIT_MAX_PEERS } from './limits.ts'

/** Bucket size and refill rate. */
export interface RateInit {
  /** Tokens a full bucket holds: the largest burst let through. */
  burst: number
  /** Tokens added per second. */
  perSecond: number
}

/** Per-peer token buckets on one local monotonic clock. Not thread-safe (one event loop). */
export interface RateLimiter {
  /** Takes `n` tokens (default 1) from `peer`'s bucket at local time `nowMs`; false (taking none) when it holds fewer. */
  take(peer: string, nowMs: number, n?: number): boolean
}

interface Bucket {
  tokens: number
  at: number
}

/** Creates a limiter; it remembers at most RATE_LIMIT_MAX_PEERS peers, dropping the longest-idle ones. */
export function createRateLimiter (init: RateInit, maxPeers = RATE_LIMIT_MAX_PEERS): RateLimiter {
  // A Map keeps insertion order; re-inserting on every take keeps the longest idle peer first.
  const buckets = new Map<string, Bucket>()
  return {
    take (peer, nowMs, n = 1) {
      const prev = buckets.get(peer)
      const bucket = prev ?? { tokens: init.burst, at: nowMs }
      const elapsed = Math.max(0, nowMs - bucket.at) / 1000
      bucket.tokens = Math.min(init.burst, bucket.tokens + elapsed * init.perSecond)
      bucket.at = nowMs
      buckets.delete(peer)
      if (buckets.size >= maxPeers) {
        const idlest = buckets.keys().next()
        if (idlest.done !== true) buckets.delete(idlest.value)
      }
      buckets.set(peer, bucket)
      if (bucket.tokens < n) return false
      bucket.tokens -= n
      return true
    }
  }
}
