import type { Clock, Logger } from '../ports.ts'
import type { JobState, TeamState } from '../fold/types.ts'
import type { SchedulerPolicy } from './policy.ts'
import { runClaim, type PresenceInfo, type PresenceTable } from './presence.ts'
import type { LocalTimes } from './local-times.ts'
import type { LedgerView, Publish, ResultAvailability } from './ports.ts'
import type { BidScore } from '../events/bodies.ts'
import { activeIndex, canRun, eligible, groupKey, isTrusted, scoreFromPresence, type ActiveIndex } from './assign.ts'
import { bestBid, bidScore, coordinatorFor } from './score.ts'
import { warmKeyOf } from './warm.ts'

/** What a coordinator remembers between passes (local, never replicated). */
export interface CoordinatorMemory {
  /** `job:attempt` -> local monotonic ms when a live bid was first seen. */
  firstBidSeen: Map<string, number>
  /** `job:attempt` -> local monotonic ms when its award was first seen: a lease never starts earlier. */
  awardSeen: Map<string, number>
  /** Events already written by this peer, so a pass never writes one twice. */
  written: Set<string>
  /**
   * Local monotonic ms this scheduler started, or last rejoined the mesh after it was cut off: a
   * runner is given a full lease from then, and what this peer knew before waits a lease.
   */
  startedMs: number
  /** Local monotonic ms of the first pass since `startedMs`, which found what was known before. */
  firstPassMs: number | undefined
  /** Earliest local monotonic ms a bid window seen in the last pass closes: the next pass is due then. */
  wakeAtMs: number | undefined
}

interface CoordinatorComponents {
  view: LedgerView
  publish: Publish
  presence: PresenceTable
  clock: Clock
  logger: Logger
  results?: ResultAvailability | undefined
}

interface CoordinatorContext {
  peerId: string
  policy: SchedulerPolicy
  /** Live peers including this one. */
  peers: readonly PresenceInfo[]
  /**
   * Whether this pass may judge runners by their silence: not while this peer is cut off itself
   * (it hears nobody, so its silence says nothing of them) or just after its host stalled.
   */
  judge: boolean
  /** When this peer learned of each attempt: retry backoff runs from there. */
  times: LocalTimes
  /** Other peers' run claims this pass honours (see claims.ts). */
  claimed: ReadonlySet<string>
}

function prune (memory: CoordinatorMemory, view: LedgerView): void {
  if (memory.firstBidSeen.size + memory.awardSeen.size + memory.written.size < 20_000) return
  const open = new Set<string>()
  for (const job of view.openJobs()) open.add(job.id)
  for (const k of memory.firstBidSeen.keys()) if (!open.has(k.slice(0, 64))) memory.firstBidSeen.delete(k)
  for (const k of memory.awardSeen.keys()) if (!open.has(k.slice(0, 64))) memory.awardSeen.delete(k)
  for (const k of memory.written) if (!open.has(k.slice(k.indexOf(':') + 1, k.indexOf(':') + 65))) memory.written.delete(k)
}

/**
 * The coordinator's duties for every open job this peer coordinates (its own while it is live,
 * inherited ones by rendezvous failover): reuse a cached result, award the best live bid after the
 * bid window, and write `lost` for an attempt whose runner was silent for lease + grace.
 */
export async function coordinate (c: CoordinatorComponents, ctx: CoordinatorContext, memory: CoordinatorMemory): Promise<void> {
  prune(memory, c.view)
  memory.wakeAtMs = undefined
  const live = ctx.peers.map((p) => p.peer)
  const mono = c.clock.monotonicMs()
  const open = [...c.view.openJobs()]
  const team = c.view.team()
  const active = activeIndex(open)
  const claimed = claims(ctx)
  // Every decision is made (and remembered) before any write resolves, so the writes of one pass
  // share one ledger write and one gossip message.
  const writes: Promise<void>[] = []
  memory.firstPassMs ??= mono
  for (const job of open) {
    if (coordinatorFor(job, live, team) !== ctx.peerId || !mayCoordinate(c, ctx, memory, job, mono)) continue
    if (job.status === 'queued') writes.push(coordinateQueued(c, ctx, memory, job, { live, mono, active, claimed }))
    else if (job.status !== 'waiting' && ctx.judge) writes.push(checkLease(c, ctx, memory, job, mono))
  }
  await Promise.all(writes)
}

/**
 * Whether this peer may coordinate `job` now. Its own jobs: at once, except that for a lease
 * after it (re)started or rejoined the mesh it leaves alone those it already knew (a failover
 * coordinator may have awarded them meanwhile; that award may not have reached it yet). Another
 * peer's job (failover): only once the origin has been silent for lease + grace, counted from the
 * later of its last heartbeat, this peer's start and when this peer learned of the job, so an
 * origin that was cut off, or whose job arrives with a heal before its heartbeat, is not
 * overtaken; and never on a stalled pass.
 */
function mayCoordinate (c: CoordinatorComponents, ctx: CoordinatorContext, memory: CoordinatorMemory, job: JobState, mono: number): boolean {
  if (job.origin === ctx.peerId) {
    return mono - memory.startedMs >= ctx.policy.leaseMs || (ctx.times.jobSince(job) ?? -Infinity) > (memory.firstPassMs ?? mono)
  }
  const since = Math.max(c.presence.lastSeen(job.origin) ?? -Infinity, memory.startedMs, ctx.times.jobSince(job) ?? mono)
  return ctx.judge && mono - since > ctx.policy.leaseMs + ctx.policy.lostGraceMs
}

interface PassFacts {
  live: readonly string[]
  mono: number
  active: ActiveIndex
  /** Run claims of this peer and of every peer heard within lease + grace. */
  claimed: ReadonlySet<string>
}

function claims (ctx: CoordinatorContext): Set<string> {
  const out = new Set(ctx.claimed)
  for (const r of ctx.peers.find((p) => p.peer === ctx.peerId)?.runs ?? []) out.add(r)
  return out
}

/**
 * Whose result may stand in for a job: one of the same origin (its own earlier build), or one a
 * trusted peer built. A result is the word of the runner that signed it, so a member's result is
 * not passed off as everyone else's build.
 */
function reusable (view: LedgerView, job: JobState, prev: JobState): boolean {
  if (prev.id === job.id || prev.result === undefined) return false
  const team = view.team()
  // As the fold takes it: a sensitive build only for a sensitive job of the same or a trusted origin.
  if (prev.sensitive && (!job.sensitive || (prev.origin !== job.origin && !isTrusted(team, job.origin)))) return false
  return prev.origin === job.origin || isTrusted(team, prev.result.by)
}

async function coordinateQueued (c: CoordinatorComponents, ctx: CoordinatorContext, memory: CoordinatorMemory, job: JobState, f: PassFacts): Promise<void> {
  const k = `${job.id}:${job.attempt}`
  if (job.cache && job.cacheKey !== undefined && !memory.written.has(`cached:${k}`)) {
    const prev = c.view.succeededWithKey(job.cacheKey, (p) => reusable(c.view, job, p))
    const fetchable = prev?.result === undefined ? false : c.results === undefined ? true : c.results.fetchable(prev)
    // Still finding out whether the result's artifacts can be had: no award meanwhile.
    if (fetchable === undefined) return
    if (fetchable && prev?.result !== undefined) {
      memory.written.add(`cached:${k}`)
      const r = prev.result
      await c.publish('job.finished', { job: job.id, attempt: job.attempt, status: 'cached', exitCode: r.exitCode, durations: { runMs: 0, totalMs: 0 }, artifacts: r.artifacts, logDigest: r.logDigest, cachedFrom: prev.id })
      return
    }
  }
  // A bid counts only from a live peer that may run the job (its labels, and trust for a sensitive one).
  const team = c.view.team()
  const bids = job.bids.filter((b) => f.live.includes(b.peer) && canRun(job, b.peer, b.labels, team))
  // A peer still runs some attempt of the job (one this peer judged lost, or one awarded by a
  // failover coordinator whose award has not arrived): the next award waits until it stopped.
  if (bids.length === 0 || memory.written.has(`award:${k}`) || f.claimed.has(runClaim(job.id))) return
  let first = memory.firstBidSeen.get(k)
  if (first === undefined) memory.firstBidSeen.set(k, first = f.mono)
  // The window waits for better bids; once no live peer that could take the job and has not bid
  // could outbid the best one, there are none to wait for.
  if (f.mono - first < ctx.policy.bidWindowMs && mayStillBeOutbid(ctx, job, team, bids)) {
    const closes = first + ctx.policy.bidWindowMs
    memory.wakeAtMs = Math.min(memory.wakeAtMs ?? closes, closes)
    return
  }
  if (!eligible(job, (j) => ctx.times.backoffOver(j, f.mono), f.active)) return
  const best = bestBid(job, bids)
  if (best === undefined) return
  memory.written.add(`award:${k}`)
  const g = groupKey(job)
  if (g !== undefined) f.active.groups.add(g)
  f.active.repos.set(job.repo, (f.active.repos.get(job.repo) ?? 0) + 1)
  await c.publish('job.awarded', { job: job.id, attempt: job.attempt, runner: best.peer })
}

/**
 * Whether a live peer that has not bid could still beat the best bid: one with a free slot that
 * may run `job` and whose last heartbeat scores it above that bid (or level with it and first by
 * peer id). Every peer plans bids from the same fold and presence (assign.ts), so a peer that
 * scores lower did not bid on purpose and the window need not wait for it; a peer whose view
 * differed still gets the window, as before.
 */
function mayStillBeOutbid (ctx: CoordinatorContext, job: JobState, team: TeamState, bids: readonly { peer: string, score: BidScore }[]): boolean {
  const best = bestBid(job, bids)
  if (best === undefined) return true
  const bestScore = bidScore(best.score, best.peer, job)
  const bidders = new Set(bids.map((b) => b.peer))
  const warmKey = warmKeyOf(job)
  return ctx.peers.some((p) => {
    if (p.status === 'draining' || p.freeSlots <= 0 || bidders.has(p.peer) || !canRun(job, p.peer, p.labels, team)) return false
    const s = bidScore(scoreFromPresence(p, p.freeSlots, warmKey), p.peer, job)
    return s > bestScore || (s === bestScore && p.peer < best.peer)
  })
}

async function checkLease (c: CoordinatorComponents, ctx: CoordinatorContext, memory: CoordinatorMemory, job: JobState, mono: number): Promise<void> {
  const runner = job.attempts.find((a) => a.n === job.attempt)?.runner
  if (runner === undefined || runner === ctx.peerId) return
  const attemptKey = `${job.id}:${job.attempt}`
  let seen = memory.awardSeen.get(attemptKey)
  if (seen === undefined) memory.awardSeen.set(attemptKey, seen = mono)
  // After a partition heals, an award made on the other side arrives before its runner's next
  // heartbeat: the lease runs from when this peer learned of the award, not from the last heartbeat.
  const last = Math.max(c.presence.lastSeen(runner) ?? -Infinity, memory.startedMs, seen)
  const k = `lost:${attemptKey}`
  // The grace past the lease is the fence: a runner cut off from everyone stops its steps
  // `fenceMarginMs` before the lease ends, so it has stopped before the next attempt can start.
  if (mono - last <= ctx.policy.leaseMs + ctx.policy.lostGraceMs || memory.written.has(k)) return
  memory.written.add(k)
  c.logger.info({ job_id: job.id, attempt: job.attempt, runner }, 'runner lease ran out')
  await c.publish('job.lost', { job: job.id, attempt: job.attempt, runner, reason: 'runner_lost' })
}
