/** The state transitions one job's replay is made of, shared by its event handlers and signals. */
import type { NeedsGate, Settled } from './needs.ts'
import type { TeamTimeline } from './team-fold.ts'
import { terminalStatuses, type AttemptState, type JobState } from './types.ts'

/** Protocol constants every peer folds with; changing them changes the protocol version. */
export const foldRules = {
  /** Backoff before automatic retry n (1-based) of a failed attempt: base * 2^(n-1), capped. */
  retryBackoffBaseMs: 2_000,
  retryBackoffCapMs: 60_000,
  /** A lost runner is requeued at once (its lease already ran out), at least this many times. */
  lostRetryFloor: 3
} as const

/** Another job as a `cached` finish may name it: its state and the step that settled it. */
export interface CacheSource {
  state: JobState
  settled: Settled
}

/** One job's replay in progress. */
export interface Replay {
  s: JobState
  newer?: string
  newerCancels: boolean
  team: TeamTimeline
  source: (jobId: string) => CacheSource | undefined
  /** Where the job's needs stand at this point of the replay. */
  gate: 'none' | NeedsGate['kind']
}

export const isActive = (s: JobState): boolean => s.status === 'awarded' || s.status === 'running'
export const current = (s: JobState): AttemptState | undefined => s.attempts.find((a) => a.n === s.attempt)
export const isPending = (s: JobState): boolean => s.status === 'queued' || s.status === 'waiting'
export const isTerminal = (s: JobState): boolean => terminalStatuses.has(s.status)

export function supersede (s: JobState, by: string): void {
  s.status = 'superseded'
  s.supersededBy = by
  s.bids = []
}

export function cancel (s: JobState, reason: string | undefined): void {
  const attempt = current(s)
  if (isActive(s) && attempt !== undefined) attempt.outcome = 'cancelled'
  s.status = 'cancelled'
  s.bids = []
  if (reason !== undefined) s.cancelReason = reason
}

/**
 * Moves the job to the next attempt, or supersedes it when a newer group job already exists. A job
 * whose needs have not all succeeded at this point goes back to waiting (or is skipped) instead.
 */
export function requeue (r: Replay, at: number, backoffMs: number): void {
  const s = r.s
  s.attempt += 1
  s.bids = []
  s.queuedAt = at
  s.notBefore = at + backoffMs
  s.status = r.gate === 'waiting' ? 'waiting' : r.gate === 'skipped' ? 'skipped' : 'queued'
  if (r.newer !== undefined && isPending(s)) supersede(s, r.newer)
}
