/**
 * What a peer's scheduler is to its host: the services it needs, how it starts, and what it does.
 * The class behind it is in scheduler.ts.
 */
import type { Clock, Logger, Signer } from '../ports.ts'
import type { SchedulerPolicy } from './policy.ts'
import type { PresenceInfo, PresenceTable } from './presence.ts'
import type { JobExecutor, LedgerView, LocalStatus, Publish, ResultAvailability, RunnerProfile } from './ports.ts'

/** The services a scheduler needs. */
export interface SchedulerComponents {
  view: LedgerView
  publish: Publish
  presence: PresenceTable
  executor: JobExecutor
  clock: Clock
  logger: Logger
  results?: ResultAvailability
  /** This peer's key: with it, every finish this peer writes as a runner carries its provenance signature. */
  signer?: Signer
}

export interface SchedulerInit extends RunnerProfile {
  peerId: string
  policy?: Partial<SchedulerPolicy>
  /** Current load, user activity and warm workspaces; defaults to an idle dedicated box. */
  local?: () => LocalStatus
}

/**
 * One peer's part in scheduling: it bids for work with its free slots, coordinates the jobs it
 * announced (or inherited by failover), writes `lost` when a runner is silent for lease + grace,
 * and runs what it is awarded. All decisions read the fold; all effects are ledger events.
 *
 * Fencing: a peer that has heard no other peer for `leaseMs - fenceMarginMs` is cut off. It stops
 * every attempt the rest of the mesh could take over (all but those of jobs it announced after it
 * found itself cut off), judges no runner lost, and awards only those jobs, until it hears a peer
 * again. Durations that gate decisions run on this peer's monotonic clock.
 */
export interface Scheduler {
  /**
   * One pass over the state. Call it on a timer (a few times a second: a gap of more than
   * STALL_MS counts as a stall and delays judgements by silence) and after new events.
   * Concurrent calls are coalesced into one pass plus at most one more; never throws.
   */
  tick(): Promise<void>
  /** This peer's presence as it is now (for status views). */
  presence(): PresenceInfo
  /**
   * This peer's heartbeat, to send on the presence topic now. Until the next one, this peer ranks
   * itself among the runners by what this one says, as the other peers do (see `planBids`).
   */
  beat(): PresenceInfo
  /**
   * Whether the last pass found this peer lending, scoring or draining otherwise than its last
   * heartbeat said (its share mode, its user came or went, it began to drain): the host should
   * send a heartbeat now, or peers may leave a job to a runner that will not bid for it.
   */
  lendingChanged(): boolean
  /** Job ids this peer is running. */
  executing(): string[]
  /**
   * Local monotonic ms at which a pass is due before the next timer tick (a bid window closes), or
   * undefined. Hosts that tick on a coarse timer schedule one extra `tick()` then.
   */
  nextWakeMs(): number | undefined
  /**
   * Whether a pass now would find nothing to do: no open job, no attempt running here, no bid
   * window pending. A host may then run passes less often; new events ask for one anyway.
   */
  quiet(): boolean
  /**
   * How long (ms) this peer may wait before its next heartbeat: `quietPresenceIntervalMs` while
   * the team is quiet (see `quiet`), it has been up for a lease and it is not draining; else
   * `presenceIntervalMs`. Heartbeats carry it (`beatMs`), so peers keep a quiet peer live meanwhile.
   */
  heartbeatIntervalMs(): number
  /**
   * Changes this peer's slots or labels from now on (its owner changed the settings): the next
   * pass bids by them, and `lendingChanged` asks for a heartbeat that carries them. Attempts
   * running go on, also past fewer slots: this peer bids again once those running fit. Idempotent.
   */
  setCapacity(change: CapacityChange): void
  /** Stops bidding (status `draining`); running attempts go on. Idempotent. */
  drain(): void
  /**
   * Stops bidding and every running attempt without a report; resolves when all have ended. With
   * `handBack`, then writes `lost` for each attempt the fold still gives this peer, so the mesh
   * requeues it at once instead of after a lease (a clean shutdown).
   */
  stop(options?: { handBack?: boolean }): Promise<void>
  readonly policy: SchedulerPolicy
}

/** Slots and labels that change while a peer runs (`Scheduler.setCapacity`); unset ones stay. */
export interface CapacityChange {
  slots?: number
  labels?: readonly string[]
}
