import type { Clock, Logger } from '../ports.ts'
import type { JobState } from '../fold/types.ts'
import { resolvePolicy, type SchedulerPolicy } from './policy.ts'
import type { PresenceInfo, PresenceTable } from './presence.ts'
import type { JobExecutor, LedgerView, LocalStatus, Publish, ResultAvailability, RunnerProfile } from './ports.ts'
import { createExecutions, type Executions } from './executions.ts'
import { coordinate, type CoordinatorMemory } from './coordinator.ts'
import { planBids } from './bidding.ts'
import { addUsage, levelUsage, type LevelUsage } from './queue.ts'
import { terminalStatuses } from '../fold/types.ts'

function * closed (jobs: Iterable<JobState>): Generator<JobState> {
  for (const job of jobs) if (terminalStatuses.has(job.status)) yield job
}

/** The view restricted to the jobs `peerId` announced. */
function ownJobs (view: LedgerView, peerId: string): LedgerView {
  return {
    job: (id) => { const job = view.job(id); return job?.origin === peerId ? job : undefined },
    * openJobs () { for (const job of view.openJobs()) if (job.origin === peerId) yield job },
    jobs: view.jobs.bind(view),
    succeededWithKey: view.succeededWithKey.bind(view),
    team: view.team.bind(view)
  }
}

/** Memoizes `fn` for `ttlMs` of monotonic time: for figures that scan the whole ledger. */
function every<T> (ttlMs: number, clock: Clock, fn: () => T): () => T {
  let at = -Infinity
  let value: T
  return () => {
    const now = clock.monotonicMs()
    if (now - at >= ttlMs) {
      value = fn()
      at = now
    }
    return value
  }
}

/** The services a scheduler needs. */
export interface SchedulerComponents {
  view: LedgerView
  publish: Publish
  presence: PresenceTable
  executor: JobExecutor
  clock: Clock
  logger: Logger
  results?: ResultAvailability
}

export interface SchedulerInit extends RunnerProfile {
  peerId: string
  policy?: Partial<SchedulerPolicy>
  /** Current load, user activity and warm repos; defaults to an idle dedicated box. */
  local?: () => LocalStatus
}

/**
 * One peer's part in scheduling: it bids for work with its free slots, coordinates the jobs it
 * announced (or inherited by failover), writes `lost` when a runner's lease runs out, and runs what
 * it is awarded. All decisions read the fold; all effects are ledger events.
 */
export interface Scheduler {
  /**
   * One pass over the state. Call it on a timer (a few times a second) and after new events.
   * Concurrent calls are coalesced into one pass plus at most one more; never throws.
   */
  tick(): Promise<void>
  /** This peer's heartbeat for the presence topic. */
  presence(): PresenceInfo
  /** Job ids this peer is running. */
  executing(): string[]
  /** Stops bidding (status `draining`); running attempts go on. Idempotent. */
  drain(): void
  /** Stops bidding and every running attempt without a report; resolves when all have ended. */
  stop(): Promise<void>
  readonly policy: SchedulerPolicy
}

export function createScheduler (components: SchedulerComponents, init: SchedulerInit): Scheduler {
  const policy = resolvePolicy(init.policy)
  const { clock, presence, view } = components
  const logger = components.logger.child({ component: 'scheduler', peer_id: init.peerId })
  const local = init.local ?? (() => ({ load: 0, userActive: false, warmRepos: [] }))
  const executions: Executions = createExecutions({ ...components, logger }, init.peerId)
  const memory: CoordinatorMemory = { firstBidSeen: new Map(), awardSeen: new Map(), written: new Set(), startedMs: clock.monotonicMs(), lastPeerSeenMs: undefined }
  const bidsSent = new Set<string>()
  let draining = false
  let stopped = false
  let running: Promise<void> | undefined
  let again = false

  const recentFailures = every(1000, clock, (): number => {
    let n = 0
    const since = clock.wallMs() - policy.usageWindowMs
    for (const job of view.jobs()) {
      for (const a of job.attempts) if (a.runner === init.peerId && (a.finishedAt ?? 0) >= since && (a.outcome === 'failed' || a.outcome === 'lost')) n++
    }
    return n
  })
  const closedUsage = every(1000, clock, () => levelUsage(closed(view.jobs()), clock.wallMs(), policy))
  const usage = (): LevelUsage => addUsage(closedUsage(), levelUsage(view.openJobs(), clock.wallMs(), policy))

  function selfPresence (): PresenceInfo {
    const l = local()
    const busy = executions.ids().length
    const idleOnlyBusy = init.shareMode === 'idle-only' && l.userActive
    return {
      peer: init.peerId,
      status: draining || stopped ? 'draining' : busy > 0 ? 'busy' : 'idle',
      slots: init.slots,
      freeSlots: draining || stopped || idleOnlyBusy ? 0 : Math.max(0, init.slots - busy),
      cores: init.cores,
      load: l.load,
      labels: init.labels,
      shareMode: init.shareMode,
      userActive: l.userActive,
      recentFailures: recentFailures(),
      warmRepos: l.warmRepos.slice(0, 64),
      version: init.version,
      time: Math.round(clock.wallMs())
    }
  }

  async function pass (): Promise<void> {
    const mono = clock.monotonicMs()
    const self = selfPresence()
    const live = presence.live(mono, policy.leaseMs).filter((p) => p.peer !== init.peerId)
    if (live.length > 0) memory.lastPeerSeenMs = mono
    const cutOff = memory.lastPeerSeenMs !== undefined && mono - memory.lastPeerSeenMs > policy.leaseMs
    // A peer alone for a whole lease keeps to the jobs it announced; others' jobs go to the rest of
    // the mesh, which judges this peer lost, so a healed partition never leaves two live results.
    const scope = cutOff ? ownJobs(view, init.peerId) : view
    if (cutOff) executions.stopAll('cut_off', (id) => view.job(id)?.origin !== init.peerId)
    await executions.reconcile(scope)
    const peers = [self, ...live]
    await coordinate({ view: scope, publish: components.publish, presence, clock, logger, results: components.results }, { peerId: init.peerId, policy, peers }, memory)
    if (!draining && !stopped) {
      const plan = planBids(scope, { peerId: init.peerId, policy, peers, self, local: local(), wallMs: clock.wallMs(), bidsSent, usage: usage() })
      for (const bid of plan) {
        bidsSent.add(`${bid.job}:${bid.attempt}`)
        await components.publish('job.bid', bid)
      }
    }
    await executions.reconcile(scope)
  }

  async function tick (): Promise<void> {
    if (running !== undefined) {
      again = true
      return await running
    }
    running = (async () => {
      do {
        again = false
        try {
          await pass()
        } catch (err) {
          logger.error({ err }, 'scheduler pass failed')
        }
      } while (again && !stopped)
    })().finally(() => { running = undefined })
    return await running
  }

  return {
    tick,
    presence: selfPresence,
    executing: () => executions.ids(),
    drain: () => { draining = true },
    async stop () {
      stopped = true
      executions.stopAll('stopped')
      await executions.settled()
    },
    policy
  }
}

export type { JobState }
