import type { Priority } from '../events/bodies.ts'

/** Tunables of the scheduler. Every peer of a team should use the same values. */
export interface SchedulerPolicy {
  /** Share weight per priority level: while all are backlogged, slot-time shares follow these. */
  weights: Record<Priority, number>
  /** A queued job waiting this long (ms since announce) goes ahead of every non-aged job. */
  starvationMs: number
  /** Slot-time used within this window (ms) counts toward a level's share. */
  usageWindowMs: number
  /** Cost (ms of slot-time) assumed for a job of a level that has no finished job in the window. */
  defaultCostMs: number
  /** A runner silent (no presence) this long (ms, coordinator's monotonic clock) loses its attempt. */
  leaseMs: number
  /** A coordinator waits this long (ms) after the first bid of an attempt for better bids. */
  bidWindowMs: number
  /** A bid not awarded within this time (ms) stops holding a slot on its bidder. */
  bidTimeoutMs: number
}

/** Priority levels, highest first. */
export const priorities: readonly Priority[] = ['critical', 'high', 'normal', 'low']

export const defaultPolicy: SchedulerPolicy = {
  weights: { critical: 8, high: 4, normal: 2, low: 1 },
  starvationMs: 10 * 60_000,
  usageWindowMs: 30 * 60_000,
  defaultCostMs: 60_000,
  leaseMs: 10_000,
  bidWindowMs: 25,
  bidTimeoutMs: 5_000
}

/** The policy with some values overridden. */
export function resolvePolicy (overrides: Partial<SchedulerPolicy> = {}): SchedulerPolicy {
  return { ...defaultPolicy, ...overrides, weights: { ...defaultPolicy.weights, ...overrides.weights } }
}
