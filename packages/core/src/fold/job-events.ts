/**
 * One job's events as its replay applies them, each judged by DESIGN.md's "Who may write what" at
 * the event's place in the order: an event its author has no authority for changes nothing.
 */
import type { DecodedEvent, LedgerEventOf } from '../events/envelope.ts'
import type { FailureKind } from '../events/bodies.ts'
import { mayControl, mayCoordinate, trustedAt } from './authority.ts'
import { compareKeys, keyOf, type OrderKey } from './order.ts'
import { cancel, current, foldRules, isActive, isPending, isTerminal, requeue, supersede, type Replay } from './job-steps.ts'
import type { JobResult, JobState } from './types.ts'

/** Applies one of the job's own events (never its announce). */
export function applyEvent (r: Replay, e: DecodedEvent): void {
  const { event } = e
  const key = keyOf(e)
  switch (event.type) {
    case 'job.bid': return onBid(r, event)
    case 'job.awarded': return onAward(r, key, event)
    case 'job.started': return onStarted(r.s, event)
    case 'job.finished': return onFinished(r, key, event)
    case 'job.lost': return onLost(r, key, event)
    case 'job.cancel_requested':
      if (!isTerminal(r.s) && mayControl(r.team, r.s, event.author, key)) cancel(r.s, event.body.reason ?? `cancelled by ${event.author}`)
      return
    case 'job.priority_changed':
      if (!isTerminal(r.s) && mayControl(r.team, r.s, event.author, key)) r.s.priority = event.body.priority
      return
    case 'job.retry_requested':
      if (mayControl(r.team, r.s, event.author, key)) onRetryRequested(r, event)
      return
    case 'job.superseded':
      if (isPending(r.s) && mayControl(r.team, r.s, event.author, key)) supersede(r.s, event.body.by)
      return
    default:
  }
}

function onBid (r: Replay, event: LedgerEventOf<'job.bid'>): void {
  const s = r.s
  const { attempt, labels, score } = event.body
  if (s.status !== 'queued' || attempt !== s.attempt) return
  if (!s.labels.every((l) => labels.includes(l))) return
  if (s.bids.some((b) => b.peer === event.author)) return
  s.bids.push({ peer: event.author, labels: [...labels].sort(), score, at: event.time })
}

/**
 * An award counts when its author may coordinate the job, it names a runner that bid for this
 * attempt, and, for a sensitive job, that runner is its origin or trusted at the award. A second award for an
 * attempt already awarded loses by the conflict order: it is later.
 */
function onAward (r: Replay, key: OrderKey, event: LedgerEventOf<'job.awarded'>): void {
  const s = r.s
  const { attempt, runner } = event.body
  if (s.status !== 'queued' || attempt !== s.attempt) return
  if (!mayCoordinate(r.team, s, event.author, key)) return
  if (!s.bids.some((b) => b.peer === runner)) return
  // The origin holds a sensitive job's secrets already, so it may run the job itself.
  if (s.sensitive && runner !== s.origin && !trustedAt(r.team, runner, key)) return
  s.attempts.push({ n: attempt, runner, awardedBy: event.author, award: key.id, awardedAt: event.time })
  s.status = 'awarded'
  s.bids = []
}

function onStarted (s: JobState, event: LedgerEventOf<'job.started'>): void {
  const attempt = current(s)
  if (s.status !== 'awarded' || event.body.attempt !== s.attempt || attempt?.runner !== event.author) return
  attempt.startedAt = event.time
  s.status = 'running'
}

function onFinished (r: Replay, key: OrderKey, event: LedgerEventOf<'job.finished'>): void {
  const s = r.s
  const b = event.body
  if (b.attempt !== s.attempt) return
  if (b.status === 'cached') return onCached(r, key, event)
  const attempt = current(s)
  if (!isActive(s) || attempt?.runner !== event.author) return
  attempt.finishedAt = event.time
  attempt.outcome = b.status
  attempt.exitCode = b.exitCode
  if (b.failure !== undefined) attempt.failure = b.failure
  if (b.reason !== undefined) attempt.reason = b.reason
  if (b.status === 'failed' && retryAllowed(s, b.failure ?? 'exit_code', b.exitCode)) {
    s.retries += 1
    const backoff = Math.min(foldRules.retryBackoffBaseMs * 2 ** (s.retries - 1), foldRules.retryBackoffCapMs)
    requeue(r, event.time, backoff)
    return
  }
  s.status = b.status
  s.result = { status: b.status, attempt: b.attempt, exitCode: b.exitCode, artifacts: b.artifacts, logDigest: b.logDigest, by: event.author, at: event.time, runMs: b.durations.runMs }
  if (b.fetched !== undefined) s.result.fetched = b.fetched
  if (b.provenance !== undefined) s.result.provenance = key.id
}

/**
 * A `cached` finish stands in for a build only with a real one behind it: written by a coordinator
 * of the job, naming another job with the same build-avoidance key that succeeded earlier in the
 * order, built by the same origin's job or by a trusted runner, and, when sensitive, only for a
 * sensitive job of the same origin or of a trusted one. The result is the source's, as its runner signed it: the finish's own artifact list is ignored.
 */
function onCached (r: Replay, key: OrderKey, event: LedgerEventOf<'job.finished'>): void {
  const s = r.s
  const from = event.body.cachedFrom
  if (s.status !== 'queued' || !s.cache || s.cacheKey === undefined || from === undefined || from === s.id) return
  if (!mayCoordinate(r.team, s, event.author, key)) return
  const src = r.source(from)
  const built = src?.state.result
  if (src === undefined || built === undefined || src.state.cacheKey !== s.cacheKey) return
  if (src.state.status !== 'succeeded' || src.settled.status !== 'succeeded' || compareKeys(src.settled.key, key) >= 0) return
  if (src.state.origin !== s.origin && !trustedAt(r.team, built.by, key)) return
  // A sensitive build's result goes only to a sensitive job whose origin may have it anyway.
  if (src.state.sensitive && (!s.sensitive || (src.state.origin !== s.origin && !trustedAt(r.team, s.origin, key)))) return
  s.status = 'cached'
  s.bids = []
  const result: JobResult = { status: 'cached', attempt: s.attempt, exitCode: built.exitCode, artifacts: built.artifacts, logDigest: built.logDigest, by: built.by, at: event.time, runMs: 0, cachedFrom: from }
  s.result = result
}

function retryAllowed (s: JobState, failure: FailureKind, exitCode: number | null): boolean {
  if (s.retries >= s.retry.max) return false
  if (failure === 'exit_code') return exitCode !== null && s.retry.when.includes(`exit_code:${exitCode}`)
  return s.retry.when.includes(failure)
}

/** `lost` comes from the attempt's runner (handing it back), its awarder, or a coordinator of the job. */
function onLost (r: Replay, key: OrderKey, event: LedgerEventOf<'job.lost'>): void {
  const s = r.s
  const attempt = current(s)
  if (!isActive(s) || event.body.attempt !== s.attempt || attempt?.runner !== event.body.runner) return
  const author = event.author
  if (author !== attempt.runner && author !== attempt.awardedBy && !mayCoordinate(r.team, s, author, key)) return
  attempt.outcome = 'lost'
  attempt.failure = 'runner_lost'
  attempt.finishedAt = event.time
  const lost = s.attempts.filter((a) => a.outcome === 'lost').length
  const budget = Math.max(foldRules.lostRetryFloor, s.retry.when.includes('runner_lost') ? s.retry.max : 0)
  if (lost <= budget) {
    requeue(r, event.time, 0)
    return
  }
  s.status = 'failed'
  s.result = { status: 'failed', attempt: s.attempt, exitCode: null, artifacts: [], logDigest: null, by: author, at: event.time, runMs: 0 }
}

function onRetryRequested (r: Replay, event: LedgerEventOf<'job.retry_requested'>): void {
  const s = r.s
  if (s.status !== 'failed' && s.status !== 'cancelled' && s.status !== 'superseded') return
  // A manual retry is explicit: older group signals no longer supersede it.
  delete r.newer
  r.newerCancels = false
  delete s.result
  delete s.supersededBy
  delete s.cancelReason
  s.retries = 0
  requeue(r, event.time, 0)
}
