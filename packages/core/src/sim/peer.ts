import type { DecodedEvent } from '../events/envelope.ts'
import type { ShareMode } from '../events/bodies.ts'
import { createSeedSigner } from '../events/peer-id.ts'
import { silentLogger, type Clock, type Signer } from '../ports.ts'
import { createPresenceTable, type PresenceInfo } from '../scheduler/presence.ts'
import { createScheduler, type Scheduler, type SchedulerInit } from '../scheduler/scheduler.ts'
import type { SchedulerPolicy } from '../scheduler/policy.ts'
import type { AttemptReport, JobExecutor, Publish } from '../scheduler/ports.ts'
import type { JobState } from '../fold/types.ts'
import type { SimLoop, Timer } from './loop.ts'
import type { SimNetwork } from './network.ts'
import { createReplica, type Replica } from './replica.ts'
import type { Rng } from './rng.ts'

/** What simulated peers send each other. */
export type SimMessage =
  | { kind: 'event', events: DecodedEvent[] }
  | { kind: 'presence', info: PresenceInfo }
  | { kind: 'sync', vv: Record<string, number> }
  | { kind: 'events', events: DecodedEvent[], more: boolean }

export interface SimPeerSpec {
  slots: number
  labels?: string[]
  cores?: number
  shareMode?: ShareMode
  /** How far this peer's wall clock is ahead of simulated time (ms; negative: behind). */
  clockOffsetMs?: number
  /** The load per core this peer reports at simulated time `ms` (default 0). */
  loadAt?: (ms: number) => number
  /** Whether this peer's user is at the machine at simulated time `ms` (default never). */
  userActiveAt?: (ms: number) => boolean
}

/**
 * One run of an attempt, as its simulated runner recorded it: when its steps began and ended on
 * simulated time (every peer's monotonic clock), whatever the ledger says.
 */
export interface ExecutionRecord {
  job: string
  peer: string
  attempt: number
  startMs: number
  endMs?: number
  /** Ran to its end (was not stopped). */
  completed: boolean
}

export interface SimTimings {
  tickMs: number
  presenceMs: number
  syncMs: number
  syncBatch: number
}

interface SimPeerContext {
  loop: SimLoop
  net: SimNetwork<SimMessage>
  rng: Rng
  timings: SimTimings
  policy: Partial<SchedulerPolicy>
  executions: ExecutionRecord[]
}

/** A simulated DevQ peer: a replica, a presence table and the real scheduler, on simulated time. */
export class SimPeer {
  readonly signer: Signer
  readonly id: string
  readonly replica: Replica = createReplica()
  up = false
  scheduler: Scheduler | undefined
  private timers: Timer[] = []
  private tickPending = false
  private windowTickPending = false
  private presenceTable = createPresenceTable()
  private readonly ctx: SimPeerContext
  readonly spec: SimPeerSpec
  /** This peer's wall clock offset (ms); `stepClock` moves it. */
  private clockOffsetMs: number
  /** Simulated time as this peer reads it: shared monotonic time, its own wall clock. */
  readonly clock: Clock

  constructor (ctx: SimPeerContext, spec: SimPeerSpec) {
    // Keys come from the simulation's seed, so peer ids, job ids and every tie-break replay exactly.
    this.signer = createSeedSigner(Uint8Array.from({ length: 32 }, () => ctx.rng.int(0, 255)))
    this.id = this.signer.peerId
    this.ctx = ctx
    this.spec = spec
    this.clockOffsetMs = spec.clockOffsetMs ?? 0
    this.clock = { monotonicMs: () => ctx.loop.monotonicMs(), wallMs: () => ctx.loop.wallMs() + this.clockOffsetMs }
    ctx.net.attach(this.id, (from, m) => { this.receive(from, m) })
  }

  /** Appends an event of this peer and gossips it; does nothing while the peer is down. */
  readonly publish: Publish = async (type, body) => {
    if (!this.up) return undefined
    const e = await this.replica.append(this.signer, type, body, this.clock.wallMs())
    this.ctx.net.broadcast(this.id, { kind: 'event', events: [e] })
    this.soon()
    return e
  }

  start (): void {
    const { loop, net, timings, rng } = this.ctx
    this.up = true
    net.setDown(this.id, false)
    const presence = createPresenceTable()
    this.presenceTable = presence
    this.scheduler = createScheduler(
      { view: this.replica.fold, publish: this.publish, presence, executor: this.executor(), clock: this.clock, logger: silentLogger },
      { peerId: this.id, slots: this.spec.slots, labels: this.spec.labels ?? ['linux'], cores: this.spec.cores ?? 4, shareMode: this.spec.shareMode ?? 'dedicated', version: 'sim', policy: this.ctx.policy, ...this.localStatus() }
    )
    const jitter = rng.int(0, timings.tickMs)
    this.timers = [
      loop.every(timings.tickMs, () => { void this.tick() }, jitter),
      loop.every(timings.presenceMs, () => { net.broadcast(this.id, { kind: 'presence', info: this.scheduler!.beat() }) }, jitter),
      loop.every(timings.syncMs, () => { this.syncWithRandomPeer() }, rng.int(0, timings.syncMs))
    ]
    net.broadcast(this.id, { kind: 'presence', info: this.scheduler.beat() })
    this.syncWithRandomPeer()
  }

  private localStatus (): Pick<SchedulerInit, 'local'> {
    const { loadAt, userActiveAt } = this.spec
    if (loadAt === undefined && userActiveAt === undefined) return {}
    const now = (): number => this.ctx.loop.monotonicMs()
    return { local: () => ({ load: loadAt?.(now()) ?? 0, userActive: userActiveAt?.(now()) ?? false, warmWorkspaces: [] }) }
  }

  /** A pass, then a heartbeat if it found this peer lending otherwise than its last one said (as the node's loop does). */
  private async tick (): Promise<void> {
    const scheduler = this.scheduler
    if (scheduler === undefined) return
    await scheduler.tick()
    if (scheduler.lendingChanged() && this.scheduler === scheduler) this.ctx.net.broadcast(this.id, { kind: 'presence', info: scheduler.beat() })
  }

  /** The peers this one heard within its lease, as its scheduler sees them (empty while down). */
  hears (): string[] {
    if (!this.up || this.scheduler === undefined) return []
    return this.presenceTable.live(this.ctx.loop.monotonicMs(), this.scheduler.policy.leaseMs).map((p) => p.peer).filter((p) => p !== this.id)
  }

  /** The last heartbeat this peer took from `peer`, as its presence table holds it. */
  heard (peer: string): PresenceInfo | undefined {
    return this.presenceTable.get(peer)
  }

  /** Steps this peer's wall clock by `deltaMs` (an NTP step, a user setting the time). */
  stepClock (deltaMs: number): void {
    this.clockOffsetMs += deltaMs
  }

  /** Stops cleanly, like SIGTERM: stops its attempts and hands them back before going down. */
  async shutdown (): Promise<void> {
    this.scheduler?.drain()
    await this.scheduler?.stop({ handBack: true })
    if (this.scheduler !== undefined) this.ctx.net.broadcast(this.id, { kind: 'presence', info: this.scheduler.beat() })
    // Like a process that flushes its sockets before it exits: what it sent last still arrives.
    await this.crash(200)
  }

  /** Stops at once, like kill -9: no more messages, running attempts vanish unreported. */
  async crash (flushMs = 0): Promise<void> {
    this.up = false
    if (flushMs > 0) this.ctx.loop.after(flushMs, () => { if (!this.up) this.ctx.net.setDown(this.id, true) })
    else this.ctx.net.setDown(this.id, true)
    for (const t of this.timers) this.ctx.loop.cancel(t)
    this.timers = []
    await this.scheduler?.stop()
  }

  private soon (): void {
    if (!this.up) return
    const bidWindow = this.scheduler?.policy.bidWindowMs ?? 25
    if (!this.tickPending) {
      this.tickPending = true
      this.ctx.loop.after(1, () => {
        this.tickPending = false
        void this.scheduler?.tick()
      })
    }
    if (this.windowTickPending) return
    this.windowTickPending = true
    this.ctx.loop.after(bidWindow + 1, () => {
      this.windowTickPending = false
      void this.scheduler?.tick()
    })
  }

  private syncWithRandomPeer (): void {
    const others = this.ctx.net.peers().filter((p) => p !== this.id)
    if (others.length > 0) this.ctx.net.send(this.id, this.ctx.rng.pick(others), { kind: 'sync', vv: this.replica.versionVector() })
  }

  private receive (from: string, m: SimMessage): void {
    if (!this.up) return
    switch (m.kind) {
      case 'presence':
        this.presenceTable.observe(m.info, this.ctx.loop.monotonicMs())
        return
      case 'sync': {
        const events = this.replica.missingFor(m.vv, this.ctx.timings.syncBatch)
        this.ctx.net.send(this.id, from, { kind: 'events', events, more: events.length >= this.ctx.timings.syncBatch })
        return
      }
      case 'event':
      case 'events': {
        const { accepted, gap } = this.replica.ingest(m.events)
        if (accepted.length > 0) this.soon()
        if (gap || (m.kind === 'events' && m.more)) this.ctx.net.send(this.id, from, { kind: 'sync', vv: this.replica.versionVector() })
      }
    }
  }

  private executor (): JobExecutor {
    const { loop, executions } = this.ctx
    return {
      run: async (job: JobState, attempt: number, signal: AbortSignal, started?: Promise<void>): Promise<AttemptReport> => {
        // As a real runner's steps: nothing runs before the start is in the ledger.
        const written = await (started ?? Promise.resolve()).then(() => true, () => false)
        if (!written || signal.aborted) return { status: 'failed', exitCode: null, failure: 'runner_error', artifacts: [], logDigest: null }
        const record: ExecutionRecord = { job: job.id, peer: this.id, attempt, startMs: loop.now(), completed: false }
        executions.push(record)
        const spec = job.synthetic ?? { durationMs: 1000, exitCode: 0, outputBytes: 0 }
        return await new Promise<AttemptReport>((resolve) => {
          const timer = loop.after(spec.durationMs, () => {
            record.endMs = loop.now()
            record.completed = true
            const failed = spec.exitCode !== 0
            resolve({ status: failed ? 'failed' : 'succeeded', exitCode: spec.exitCode, ...(failed ? { failure: 'exit_code' as const } : {}), artifacts: [], logDigest: null })
          })
          signal.addEventListener('abort', () => {
            loop.cancel(timer)
            record.endMs = loop.now()
            resolve({ status: 'cancelled', exitCode: null, artifacts: [], logDigest: null })
          }, { once: true })
        })
      }
    }
  }
}
