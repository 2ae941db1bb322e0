import type { BodyOf } from '../events/bodies.ts'
import type { SchedulerPolicy } from './policy.ts'
import type { PresenceInfo } from './presence.ts'
import type { LedgerView, LocalStatus } from './ports.ts'
import { activeIndex, assignSlots, canRun, type RunnerSlots } from './assign.ts'
import type { LocalTimes } from './local-times.ts'
import { queueOrder, type LevelUsage } from './queue.ts'
import { holdsWarm, warmKeyOf } from './warm.ts'

interface BidContext {
  peerId: string
  policy: SchedulerPolicy
  /** Live peers including this one (`self`). */
  peers: readonly PresenceInfo[]
  self: PresenceInfo
  local: LocalStatus
  /** This peer's wall clock (ms), for aging in the queue order only. */
  wallMs: number
  /** When this peer learned of attempts and bids (backoff and bid timeouts run from there). */
  times: LocalTimes
  /** This peer's monotonic clock now (ms). */
  monoMs: number
  /** `job:attempt` keys this peer already bid on. */
  bidsSent: ReadonlySet<string>
  usage?: LevelUsage
}

/**
 * The bids this peer should place now: the grid's free slots are matched to the queue in order
 * (see `assignSlots`) and this peer bids on the jobs the plan gives it. A bid holds a slot until
 * the job is awarded or `bidTimeoutMs` passes after this peer first saw it.
 */
export function planBids (view: LedgerView, ctx: BidContext): BodyOf<'job.bid'>[] {
  if (ctx.self.freeSlots <= 0) return []
  const open = [...view.openJobs()]
  const active = activeIndex(open)
  const live = new Set(ctx.peers.map((p) => p.peer))
  const outstanding = new Map<string, number>()
  const pending = new Set<string>()
  const team = view.team()
  for (const job of open) {
    if (job.status !== 'queued') continue
    for (const bid of job.bids) {
      // A bid the coordinator may not award (labels, trust) holds no slot and leaves the job open.
      if (!live.has(bid.peer) || ctx.times.bidAge(job, bid.peer, ctx.monoMs) >= ctx.policy.bidTimeoutMs || !canRun(job, bid.peer, bid.labels, team)) continue
      outstanding.set(bid.peer, (outstanding.get(bid.peer) ?? 0) + 1)
      pending.add(job.id)
    }
  }
  const runners: RunnerSlots[] = []
  for (const info of ctx.peers) {
    if (info.status === 'draining') continue
    const free = Math.min(info.freeSlots, info.slots - (active.runners.get(info.peer) ?? 0) - (outstanding.get(info.peer) ?? 0))
    if (free > 0) runners.push({ info, free })
  }
  if (!runners.some((r) => r.info.peer === ctx.peerId)) return []
  const order = queueOrder(open, ctx.wallMs, ctx.policy, ctx.usage).filter((j) => !pending.has(j.id))
  const plan = assignSlots(order, runners, (job) => ctx.times.backoffOver(job, ctx.monoMs), active, team)
  const bids: BodyOf<'job.bid'>[] = []
  const selfFree = runners.find((r) => r.info.peer === ctx.peerId)!.free
  for (const [jobId, peer] of plan) {
    if (peer !== ctx.peerId) continue
    const job = view.job(jobId)!
    if (ctx.bidsSent.has(`${job.id}:${job.attempt}`)) continue
    bids.push({
      job: job.id,
      attempt: job.attempt,
      labels: ctx.self.labels,
      score: {
        freeSlots: selfFree,
        cores: ctx.self.cores,
        load: ctx.local.load,
        warm: holdsWarm(ctx.local.warmWorkspaces, warmKeyOf(job)),
        shareMode: ctx.self.shareMode,
        userActive: ctx.local.userActive,
        recentFailures: ctx.self.recentFailures
      }
    })
  }
  return bids
}
