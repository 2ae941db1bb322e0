import { loadavg } from 'node:os'
import type { Clock } from '@devq/core'

/** How long one reading of the load average is reused (ms); the kernel updates it every 5 s. */
const LOAD_READ_EVERY_MS = 1000

/**
 * The 1-minute load average per core, rounded to hundredths, as heartbeats and bids report it.
 * Scheduler passes ask for it several times a second; it is read from the system at most once a
 * second.
 */
export function loadPerCore (clock: Clock, cores: number): () => number {
  let value = 0
  let readAt = -Infinity
  return () => {
    const now = clock.monotonicMs()
    if (now - readAt >= LOAD_READ_EVERY_MS) {
      value = Math.round((loadavg()[0]! / cores) * 100) / 100
      readAt = now
    }
    return value
  }
}
