import type { DecodedEvent, LedgerEventOf } from '../events/envelope.ts'
import { compareKeys, keyOf, type OrderKey } from './order.ts'
import type { NeedsGate, Settled } from './needs.ts'
import type { TeamTimeline } from './team-fold.ts'
import { applyEvent } from './job-events.ts'
import { cancel, isActive, isPending, supersede, type CacheSource, type Replay } from './job-steps.ts'
import type { JobState, NeedState } from './types.ts'

export { foldRules, type CacheSource } from './job-steps.ts'

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

type Step =
  | { key: OrderKey, event: DecodedEvent }
  | { key: OrderKey, signal: GroupSignal }
  | { key: OrderKey, gate: Exclude<NeedsGate, { kind: 'waiting' }> }

/** What one job's replay gives: its state, and the step that last changed its status. */
export interface FoldedJob {
  state: JobState
  settled: Settled
}

/** The inputs of one job's replay besides its own events. */
export interface JobContext {
  /** Newer jobs of its concurrency group, each at the announce that signals it (with its time). */
  signals: readonly GroupSignal[]
  /** The team at every place in the order: who may write what is judged there. */
  team: TeamTimeline
  /** Looks up the job a `cached` finish names. */
  source: (jobId: string) => CacheSource | undefined
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
  for (const e of events) {
    const key = keyOf(e)
    // An author that is not a member at the event's place in the order writes nothing.
    if (e.id !== announce.id && compareKeys(key, start) > 0 && ctx.team.memberAt(e.event.author, key, e.event.seq)) steps.push({ key, event: e })
  }
  for (const signal of ctx.signals) steps.push({ key: signal.key, signal })
  const gate = ctx.needs?.gate
  if (gate !== undefined && gate.kind !== 'waiting') steps.push({ key: compareKeys(gate.key, start) > 0 ? gate.key : start, gate })
  steps.sort((a, b) => compareKeys(a.key, b.key))
  const s = initialState(announce as DecodedEvent & { event: LedgerEventOf<'job.announced'> }, ctx.needs?.resolved ?? [])
  const r: Replay = { s, newerCancels: false, team: ctx.team, source: ctx.source, gate: s.needs.length > 0 ? 'waiting' : 'none' }
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
  if (b.workspace !== undefined) s.workspace = b.workspace
  if (b.synthetic !== undefined) s.synthetic = b.synthetic
  return s
}

function applySignal (r: Replay, signal: GroupSignal): void {
  r.newer ??= signal.by
  if (signal.kind === 'cancel') r.newerCancels = true
  if (isPending(r.s)) supersede(r.s, signal.by)
  else if (isActive(r.s) && r.newerCancels) cancel(r.s, `cancel-in-progress: superseded by ${signal.by}`)
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

