import type { DecodedEvent, LedgerEventOf } from '../events/envelope.ts'
import type { FailureKind } from '../events/bodies.ts'
import { compareKeys, keyOf, type OrderKey } from './order.ts'
import type { NeedsGate, Settled } from './needs.ts'
import { terminalStatuses, type AttemptState, type JobState, type NeedState } from './types.ts'

/** Protocol constants every peer folds with; changing them changes the protocol version. */
export const foldRules = {
  /** Backoff before automatic retry n (1-based) of a failed attempt: base * 2^(n-1), capped. */
  retryBackoffBaseMs: 2_000,
  retryBackoffCapMs: 60_000,
  /** A lost runner is requeued at once (its lease already ran out), at least this many times. */
  lostRetryFloor: 3
} as const

/**
 * A newer job in the same concurrency group, injected into an older job's replay at the newer
 * job's announce position: `supersede` replaces the older job while it is pending; `cancel`
 * (cancel-in-progress) also stops it while it is awarded or running.
 */
export interface GroupSignal {
  key: OrderKey
  /** Wall time of the newer announce (its author's clock), for display. */
  at: number
  by: string
  kind: 'supersede' | 'cancel'
}

/** Faulty authors and the first seq from which their bids are ignored. */
export type FaultyAuthors = ReadonlyMap<string, number>

type Step =
  | { key: OrderKey, event: DecodedEvent }
  | { key: OrderKey, signal: GroupSignal }
  | { key: OrderKey, gate: Exclude<NeedsGate, { kind: 'waiting' }> }

interface Replay {
  s: JobState
  newer?: string
  newerCancels: boolean
  faulty: FaultyAuthors
  /** Where the job's needs stand at this point of the replay. */
  gate: 'none' | NeedsGate['kind']
}

/** What one job's replay gives: its state, and the step that last changed its status. */
export interface FoldedJob {
  state: JobState
  settled: Settled
}

/** The inputs of one job's replay besides its own events. */
export interface JobContext {
  /** Newer jobs of its concurrency group, each at the announce that signals it (with its time). */
  signals: readonly GroupSignal[]
  faulty: FaultyAuthors
  /** The job's needs, resolved, and where they stand (undefined for a job without needs). */
  needs?: { resolved: readonly NeedState[], gate: NeedsGate }
}

/**
 * Replays one job's events (and group signals and its needs' gate) in the conflict order. Pure:
 * the same inputs give the same state whatever order they were collected in. Events before the
 * announce are ignored; a gate that settled before it applies at the start.
 */
export function foldJob (announce: DecodedEvent, events: readonly DecodedEvent[], ctx: JobContext): FoldedJob {
  const start = keyOf(announce)
  const steps: Step[] = []
  for (const e of events) if (e.id !== announce.id && compareKeys(keyOf(e), start) > 0) steps.push({ key: keyOf(e), event: e })
  for (const signal of ctx.signals) steps.push({ key: signal.key, signal })
  const gate = ctx.needs?.gate
  if (gate !== undefined && gate.kind !== 'waiting') steps.push({ key: compareKeys(gate.key, start) > 0 ? gate.key : start, gate })
  steps.sort((a, b) => compareKeys(a.key, b.key))
  const s = initialState(announce as DecodedEvent & { event: LedgerEventOf<'job.announced'> }, ctx.needs?.resolved ?? [])
  const r: Replay = { s, newerCancels: false, faulty: ctx.faulty, gate: s.needs.length > 0 ? 'waiting' : 'none' }
  let settled: Settled = { status: s.status, key: start, at: announce.event.time }
  for (const step of steps) {
    const before = r.s.status
    if ('signal' in step) applySignal(r, step.signal)
    else if ('gate' in step) applyGate(r, step.gate)
    else applyEvent(r, step.event)
    if (r.s.status !== before) settled = { status: r.s.status, key: step.key, at: 'event' in step ? step.event.event.time : 'gate' in step ? step.gate.at : step.signal.at }
  }
  r.s.bids.sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
  return { state: r.s, settled }
}

function initialState (announce: DecodedEvent & { event: LedgerEventOf<'job.announced'> }, needs: readonly NeedState[]): JobState {
  const { event } = announce
  const b = event.body
  const s: JobState = {
    id: announce.id,
    origin: event.author,
    repo: b.repo,
    ref: b.ref,
    commit: b.commit,
    pipelineJob: b.pipelineJob,
    needs: needs.map((n) => ({ ...n })),
    priority: b.priority,
    labels: [...b.labels].sort(),
    retry: b.retry,
    timeoutMs: b.timeoutMs,
    cache: b.cache,
    sensitive: b.sensitive,
    source: b.source,
    announcedAt: event.time,
    announceLamport: event.lamport,
    status: needs.length > 0 ? 'waiting' : 'queued',
    attempt: 1,
    notBefore: event.time,
    queuedAt: event.time,
    attempts: [],
    bids: [],
    retries: 0
  }
  if (b.tree !== undefined) s.tree = b.tree
  if (b.run !== undefined) s.run = b.run
  if (b.group !== undefined) s.group = b.group
  if (b.repoCap !== undefined) s.repoCap = b.repoCap
  if (b.cacheKey !== undefined) s.cacheKey = b.cacheKey
  if (b.synthetic !== undefined) s.synthetic = b.synthetic
  return s
}

const isActive = (s: JobState): boolean => s.status === 'awarded' || s.status === 'running'
const current = (s: JobState): AttemptState | undefined => s.attempts.find((a) => a.n === s.attempt)

const isPending = (s: JobState): boolean => s.status === 'queued' || s.status === 'waiting'

function applySignal (r: Replay, signal: GroupSignal): void {
  r.newer ??= signal.by
  if (signal.kind === 'cancel') r.newerCancels = true
  if (isPending(r.s)) supersede(r.s, signal.by)
  else if (isActive(r.s) && r.newerCancels) cancel(r.s, `cancel-in-progress: superseded by ${signal.by}`)
}

function supersede (s: JobState, by: string): void {
  s.status = 'superseded'
  s.supersededBy = by
  s.bids = []
}

function cancel (s: JobState, reason: string | undefined): void {
  const attempt = current(s)
  if (isActive(s) && attempt !== undefined) attempt.outcome = 'cancelled'
  s.status = 'cancelled'
  s.bids = []
  if (reason !== undefined) s.cancelReason = reason
}

/** The needs of a waiting job settled: it is queued from the settling event's time, or skipped. */
function applyGate (r: Replay, gate: Exclude<NeedsGate, { kind: 'waiting' }>): void {
  r.gate = gate.kind
  if (r.s.status !== 'waiting') return
  if (gate.kind === 'ready') {
    r.s.status = 'queued'
    r.s.queuedAt = gate.at
    r.s.notBefore = gate.at
  } else {
    r.s.status = 'skipped'
    r.s.skippedBecause = gate.because
  }
}

/**
 * Moves the job to the next attempt, or supersedes it when a newer group job already exists. A job
 * whose needs have not all succeeded at this point goes back to waiting (or is skipped) instead.
 */
function requeue (r: Replay, at: number, backoffMs: number): void {
  const s = r.s
  s.attempt += 1
  s.bids = []
  s.queuedAt = at
  s.notBefore = at + backoffMs
  s.status = r.gate === 'waiting' ? 'waiting' : r.gate === 'skipped' ? 'skipped' : 'queued'
  if (r.newer !== undefined && isPending(s)) supersede(s, r.newer)
}

function applyEvent (r: Replay, e: DecodedEvent): void {
  const { event } = e
  switch (event.type) {
    case 'job.bid': return onBid(r, event)
    case 'job.awarded': return onAward(r, e.id, event)
    case 'job.started': return onStarted(r.s, event)
    case 'job.finished': return onFinished(r, event)
    case 'job.lost': return onLost(r, event)
    case 'job.cancel_requested':
      if (!isTerminal(r.s)) cancel(r.s, event.body.reason ?? `cancelled by ${event.author}`)
      return
    case 'job.priority_changed':
      if (!isTerminal(r.s)) r.s.priority = event.body.priority
      return
    case 'job.retry_requested': return onRetryRequested(r, event)
    case 'job.superseded':
      if (isPending(r.s)) supersede(r.s, event.body.by)
      return
    default:
  }
}

function isTerminal (s: JobState): boolean {
  return terminalStatuses.has(s.status)
}

function onBid (r: Replay, event: LedgerEventOf<'job.bid'>): void {
  const s = r.s
  const { attempt, labels, score } = event.body
  if (s.status !== 'queued' || attempt !== s.attempt) return
  const faultyFrom = r.faulty.get(event.author)
  if (faultyFrom !== undefined && event.seq >= faultyFrom) return
  if (!s.labels.every((l) => labels.includes(l))) return
  if (s.bids.some((b) => b.peer === event.author)) return
  s.bids.push({ peer: event.author, labels: [...labels].sort(), score, at: event.time })
}

function onAward (r: Replay, id: string, event: LedgerEventOf<'job.awarded'>): void {
  const s = r.s
  const { attempt, runner } = event.body
  // A second award for an attempt that is already awarded loses by the conflict order: it is later.
  if (s.status !== 'queued' || attempt !== s.attempt) return
  if (!s.bids.some((b) => b.peer === runner)) return
  s.attempts.push({ n: attempt, runner, awardedBy: event.author, award: id, awardedAt: event.time })
  s.status = 'awarded'
  s.bids = []
}

function onStarted (s: JobState, event: LedgerEventOf<'job.started'>): void {
  const attempt = current(s)
  if (s.status !== 'awarded' || event.body.attempt !== s.attempt || attempt?.runner !== event.author) return
  attempt.startedAt = event.time
  s.status = 'running'
}

function onFinished (r: Replay, event: LedgerEventOf<'job.finished'>): void {
  const s = r.s
  const b = event.body
  if (b.attempt !== s.attempt) return
  if (b.status === 'cached') {
    if (s.status !== 'queued') return
    s.status = 'cached'
    s.bids = []
    s.result = { status: 'cached', attempt: b.attempt, exitCode: b.exitCode, artifacts: b.artifacts, logDigest: b.logDigest, by: event.author, at: event.time, runMs: 0 }
    if (b.cachedFrom !== undefined) s.result.cachedFrom = b.cachedFrom
    return
  }
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
}

function retryAllowed (s: JobState, failure: FailureKind, exitCode: number | null): boolean {
  if (s.retries >= s.retry.max) return false
  if (failure === 'exit_code') return exitCode !== null && s.retry.when.includes(`exit_code:${exitCode}`)
  return s.retry.when.includes(failure)
}

function onLost (r: Replay, event: LedgerEventOf<'job.lost'>): void {
  const s = r.s
  const attempt = current(s)
  if (!isActive(s) || event.body.attempt !== s.attempt || attempt?.runner !== event.body.runner) return
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
  s.result = { status: 'failed', attempt: s.attempt, exitCode: null, artifacts: [], logDigest: null, by: event.author, at: event.time, runMs: 0 }
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
