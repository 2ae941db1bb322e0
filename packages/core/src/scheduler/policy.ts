import type { Priority } from '../events/bodies.ts'
import { PolicyError } from '../errors.ts'
import { presenceIntervalMs } from './presence.ts'

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
  /** A peer heard within this time (ms, the judging peer's monotonic clock) is live. */
  leaseMs: number
  /**
   * A runner that has heard no peer for `leaseMs - fenceMarginMs` stops the attempts the rest of
   * the mesh could take over (ms). Default a quarter lease.
   */
  fenceMarginMs: number
  /**
   * A coordinator writes `lost` only after `leaseMs + lostGraceMs` without a runner's heartbeat
   * (ms), so a cut-off runner has stopped by then. Default a quarter lease, and at least enough
   * that margin plus grace cover one heartbeat interval plus `FENCE_SLACK_MS`.
   */
  lostGraceMs: number
  /** A coordinator waits this long (ms) after the first bid of an attempt for better bids. */
  bidWindowMs: number
  /** A bid not awarded within this time (ms since this peer first saw it) stops holding a slot on its bidder. */
  bidTimeoutMs: number
}

/**
 * What margin plus grace must cover beyond one heartbeat interval (ms): a scheduler pass on each
 * side, the stop of the steps and the delivery of the last heartbeat.
 */
export const FENCE_SLACK_MS = 500

/** Priority levels, highest first. */
export const priorities: readonly Priority[] = ['critical', 'high', 'normal', 'low']

const LEASE_MS = 10_000

export const defaultPolicy: SchedulerPolicy = {
  weights: { critical: 8, high: 4, normal: 2, low: 1 },
  starvationMs: 10 * 60_000,
  usageWindowMs: 30 * 60_000,
  defaultCostMs: 60_000,
  leaseMs: LEASE_MS,
  fenceMarginMs: LEASE_MS / 4,
  lostGraceMs: LEASE_MS / 4,
  bidWindowMs: 25,
  bidTimeoutMs: 5_000
}

/** The longest a live peer may go between heartbeats under a lease of `leaseMs` (ms). */
const heartbeatGapMs = (leaseMs: number): number => presenceIntervalMs(leaseMs)

/** The shortest lease: a heartbeat interval is a second, and a lease must outlast a few lost ones. */
export const MIN_LEASE_MS = 2_000

function check (p: SchedulerPolicy): SchedulerPolicy {
  const gap = heartbeatGapMs(p.leaseMs)
  const fail = (key: string, detail: string): never => { throw new PolicyError(`scheduler policy: ${key}: ${detail}`, { key, detail }) }
  for (const [key, value] of Object.entries(p)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) fail(key, `${value} is not a finite, non-negative number`)
  }
  if (!(p.leaseMs >= MIN_LEASE_MS)) fail('leaseMs', `${p.leaseMs} is under ${MIN_LEASE_MS} ms: a lease must hold a few heartbeats`)
  if (!(p.fenceMarginMs > 0 && p.leaseMs - p.fenceMarginMs > gap)) {
    fail('fenceMarginMs', `${p.fenceMarginMs} must be positive and leave more than one heartbeat interval (${gap} ms) of the ${p.leaseMs} ms lease`)
  }
  if (!(p.lostGraceMs >= 0)) fail('lostGraceMs', `${p.lostGraceMs} is negative`)
  if (p.fenceMarginMs + p.lostGraceMs < gap + FENCE_SLACK_MS) {
    fail('lostGraceMs', `margin ${p.fenceMarginMs} + grace ${p.lostGraceMs} ms must cover a heartbeat interval (${gap} ms) + ${FENCE_SLACK_MS} ms`)
  }
  return p
}

/**
 * The policy with some values overridden. A lease given without a margin or grace gets the
 * defaults scaled to it. Throws PolicyError when the fence cannot hold (see SchedulerPolicy).
 */
export function resolvePolicy (overrides: Partial<SchedulerPolicy> = {}): SchedulerPolicy {
  const leaseMs = overrides.leaseMs ?? defaultPolicy.leaseMs
  const fenceMarginMs = overrides.fenceMarginMs ?? Math.round(leaseMs / 4)
  const lostGraceMs = overrides.lostGraceMs ?? Math.max(Math.round(leaseMs / 4), heartbeatGapMs(leaseMs) + FENCE_SLACK_MS - fenceMarginMs)
  return check({ ...defaultPolicy, ...overrides, leaseMs, fenceMarginMs, lostGraceMs, weights: { ...defaultPolicy.weights, ...overrides.weights } })
}
