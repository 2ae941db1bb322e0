import type { Logger } from '../ports.ts'
import { resolvePolicy, type SchedulerPolicy } from './policy.ts'
import { fitPresence, MAX_RUN_CLAIMS, presenceIntervalMs, quietPresenceIntervalMs, runClaim, type PresenceInfo } from './presence.ts'
import { honouredClaims, type ClaimMemory } from './claims.ts'
import type { LedgerView, LocalStatus } from './ports.ts'
import type { CapacityChange, Scheduler, SchedulerComponents, SchedulerInit } from './contract.ts'
import { createExecutions, type Executions } from './executions.ts'
import { coordinate, type CoordinatorMemory } from './coordinator.ts'
import { planBids } from './bidding.ts'
import { createFence, type Fence } from './fence.ts'
import { createLocalTimes, type LocalTimes } from './local-times.ts'
import { addUsage, levelUsage, type LevelUsage } from './queue.ts'
import { closed, countRecentFailures, every, namesOtherPeers, restrictedView } from './view.ts'
import { reportableWarm } from './warm.ts'
import { asOthersSee, lendingChanged, lends } from './self-view.ts'

export type { CapacityChange, Scheduler, SchedulerComponents, SchedulerInit } from './contract.ts'

const BIDS_REMEMBERED = 20_000

/** The scheduler of one peer; see `Scheduler`. Create it with `createScheduler`. */
class PeerScheduler implements Scheduler {
  readonly policy: SchedulerPolicy
  private readonly c: SchedulerComponents
  private readonly init: SchedulerInit
  private readonly logger: Logger
  private readonly local: () => LocalStatus
  /** Slots and labels now: the init's, until `setCapacity` changes them. */
  private capacity: { slots: number, labels: string[] }
  /** The last heartbeat `beat` gave out, as the other peers know this peer. */
  private sent: PresenceInfo | undefined
  /** Set by a pass that found this peer lending otherwise than `sent` says. */
  private beatDue = false
  private readonly executions: Executions
  private readonly memory: CoordinatorMemory
  private readonly claimSeen: ClaimMemory = new Map()
  private readonly times: LocalTimes = createLocalTimes()
  private readonly fence: Fence
  private readonly bidsSent = new Set<string>()
  private readonly recentFailures: () => number
  private readonly closedUsage: () => LevelUsage
  private readonly bootMs: number
  private draining = false
  private stopped = false
  private running: Promise<void> | undefined
  private again = false

  constructor (components: SchedulerComponents, init: SchedulerInit) {
    this.c = components
    this.init = init
    this.policy = resolvePolicy(init.policy)
    this.logger = components.logger.child({ component: 'scheduler', peer_id: init.peerId })
    this.local = init.local ?? (() => ({ load: 0, userActive: false, warmWorkspaces: [] }))
    this.capacity = { slots: init.slots, labels: [...init.labels] }
    this.executions = createExecutions({ ...components, logger: this.logger }, { peerId: init.peerId })
    this.bootMs = components.clock.monotonicMs()
    this.memory = { firstBidSeen: new Map(), awardSeen: new Map(), written: new Set(), startedMs: components.clock.monotonicMs(), firstPassMs: undefined, wakeAtMs: undefined }
    this.fence = createFence(components.presence, init.peerId, this.policy, () => namesOtherPeers(components.view, init.peerId))
    const { clock, view } = components
    this.recentFailures = every(1000, clock, () => countRecentFailures(view, init.peerId, clock.wallMs() - this.policy.usageWindowMs))
    this.closedUsage = every(1000, clock, () => levelUsage(closed(view.jobs()), clock.wallMs(), this.policy))
  }

  beat (): PresenceInfo {
    this.sent = this.presence()
    this.beatDue = false
    return this.sent
  }

  lendingChanged (): boolean {
    return this.beatDue
  }

  async tick (): Promise<void> {
    if (this.running !== undefined) {
      this.again = true
      return await this.running
    }
    this.running = (async () => {
      do {
        this.again = false
        try {
          await this.pass()
        } catch (err) {
          this.logger.error({ err }, 'scheduler pass failed')
        } finally {
          this.fence.passEnded(this.c.clock.monotonicMs())
        }
      } while (this.again && !this.stopped)
    })().finally(() => { this.running = undefined })
    return await this.running
  }

  presence (): PresenceInfo {
    const l = this.local()
    const running = this.executions.ids()
    const busy = running.length
    const closing = this.draining || this.stopped
    const shareMode = l.shareMode ?? this.init.shareMode
    return fitPresence({
      peer: this.init.peerId,
      status: closing ? 'draining' : busy > 0 ? 'busy' : 'idle',
      slots: this.capacity.slots,
      freeSlots: closing || !lends(shareMode, l.userActive) ? 0 : Math.max(0, this.capacity.slots - busy),
      cores: this.init.cores,
      load: l.load,
      labels: this.capacity.labels,
      shareMode,
      userActive: l.userActive,
      recentFailures: this.recentFailures(),
      warmWorkspaces: reportableWarm(l.warmWorkspaces),
      version: this.init.version,
      ...(l.activity === undefined || l.activity.length === 0 ? {} : { activity: l.activity.slice(0, 32) }),
      ...(busy === 0 ? {} : { runs: running.slice(0, MAX_RUN_CLAIMS).map(runClaim) }),
      beatMs: this.heartbeatIntervalMs(),
      ...(this.saysHello() ? { hello: true as const } : {}),
      time: Math.round(this.c.clock.wallMs())
    })
  }

  executing (): string[] {
    return this.executions.ids()
  }

  nextWakeMs (): number | undefined {
    return this.memory.wakeAtMs
  }

  quiet (): boolean {
    return this.executions.ids().length === 0 && this.memory.wakeAtMs === undefined && this.c.view.openJobs().next().done === true
  }

  heartbeatIntervalMs (): number {
    const settled = !this.draining && !this.stopped && !this.saysHello()
    return settled && this.quiet() ? quietPresenceIntervalMs(this.policy.leaseMs) : presenceIntervalMs(this.policy.leaseMs)
  }

  private saysHello (): boolean {
    return this.c.clock.monotonicMs() - this.bootMs < this.policy.leaseMs
  }

  setCapacity (change: CapacityChange): void {
    this.capacity = { slots: change.slots ?? this.capacity.slots, labels: change.labels === undefined ? this.capacity.labels : [...change.labels] }
  }

  drain (): void {
    this.draining = true
  }

  async stop (options: { handBack?: boolean } = {}): Promise<void> {
    this.stopped = true
    this.executions.stopAll('stopped')
    await this.executions.settled()
    if (options.handBack === true) await this.executions.handBack(this.c.view)
  }

  private async pass (): Promise<void> {
    const { clock, presence, view } = this.c
    const peerId = this.init.peerId
    const mono = clock.monotonicMs()
    this.times.observe(view.openJobs(), mono)
    const self = this.presence()
    this.beatDue = lendingChanged(self, this.sent)
    const live = presence.live(mono, this.policy.leaseMs).filter((p) => p.peer !== peerId)
    const fence = this.fence.check(mono, this.quiet())
    if (fence.isolatedSinceMs === mono) this.logger.warn({ quiet_ms: this.policy.leaseMs - this.policy.fenceMarginMs }, 'heard no peer: cut off, stopping what others may take over')
    if (fence.rejoined) this.rejoin(mono)
    const scope = this.scope(fence.isolatedSinceMs)
    if (scope !== view) this.executions.stopAll('cut_off', (id) => scope.job(id) === undefined)
    const claimed = honouredClaims(presence, view, { nowMs: mono, withinMs: this.policy.leaseMs + this.policy.lostGraceMs, self: peerId }, this.claimSeen)
    const refuseNew = self.shareMode === 'off'
    await this.executions.reconcile(scope, claimed, refuseNew)
    const peers = [asOthersSee(self, this.sent), ...live]
    const judge = !fence.stalled && scope === view
    await coordinate({ ...this.c, view: scope, logger: this.logger }, { peerId, policy: this.policy, peers, judge, times: this.times, claimed }, this.memory)
    if (!this.draining && !this.stopped) await this.bid(scope, peers, self)
    await this.executions.reconcile(scope, claimed, refuseNew)
  }

  /** Back in touch after being cut off: what it knew is as stale as after a restart. */
  private rejoin (mono: number): void {
    this.logger.info({}, 'hearing the mesh again')
    this.memory.startedMs = mono
    this.memory.firstPassMs = undefined
    this.executions.distrustAwards()
  }

  /**
   * What this peer may act on. Cut off since `isolatedSinceMs`, only the jobs it announced after
   * then: the rest of the mesh cannot know of those, while it may be taking over everything else
   * (failover, or `lost` after lease + grace), including attempts requeued by events that still
   * reach this peer from it.
   */
  private scope (isolatedSinceMs: number | undefined): LedgerView {
    const { view } = this.c
    if (isolatedSinceMs === undefined) return view
    const peerId = this.init.peerId
    return restrictedView(view, (job) => job.origin === peerId && (this.times.jobSince(job) ?? -Infinity) > isolatedSinceMs)
  }

  private async bid (scope: LedgerView, peers: PresenceInfo[], self: PresenceInfo): Promise<void> {
    const { clock } = this.c
    if (this.bidsSent.size > BIDS_REMEMBERED) this.bidsSent.clear()
    const usage = addUsage(this.closedUsage(), levelUsage(scope.openJobs(), clock.wallMs(), this.policy))
    const plan = planBids(scope, { peerId: this.init.peerId, policy: this.policy, peers, self, local: this.local(), wallMs: clock.wallMs(), monoMs: clock.monotonicMs(), times: this.times, bidsSent: this.bidsSent, usage })
    for (const bid of plan) {
      this.bidsSent.add(`${bid.job}:${bid.attempt}`)
      const job = scope.job(bid.job)
      // An early fetch is an optimization: whatever goes wrong in it must not cost the bid.
      try {
        if (job !== undefined) this.c.executor.prefetch?.(job)
      } catch (err) {
        this.logger.warn({ job_id: bid.job, err }, 'prefetch failed to start')
      }
    }
    // Published together, the bids share one ledger write and one gossip message.
    await Promise.all(plan.map(async (bid) => await this.c.publish('job.bid', bid)))
  }
}

/** Creates the scheduler of one peer. It does nothing until `tick()` is called. */
export function createScheduler (components: SchedulerComponents, init: SchedulerInit): Scheduler {
  return new PeerScheduler(components, init)
}
