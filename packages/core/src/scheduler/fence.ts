import type { SchedulerPolicy } from './policy.ts'
import type { PresenceTable } from './presence.ts'

/**
 * A host that ran no scheduler pass for this long (ms) was stalled (a long GC, a starved CPU):
 * heartbeats may be waiting unread, so silence is not judged until the next pass.
 */
export const STALL_MS = 1000

/** What this peer knows of its own connection to the mesh, on its own monotonic clock. */
export interface FenceState {
  /**
   * Local monotonic ms at which this peer found itself cut off (it heard no peer for
   * `leaseMs - fenceMarginMs`), while it still is; undefined while it hears the mesh.
   */
  isolatedSinceMs: number | undefined
  /** The host was stalled before this pass: decisions that rest on silence wait a pass. */
  stalled: boolean
  /** This pass is the first to hear the mesh after being cut off: what it knew may be stale. */
  rejoined: boolean
}

/** Judges, once per pass, whether this peer is cut off. */
export interface Fence {
  /**
   * The state at local monotonic `nowMs`, at the start of a pass. `teamQuiet`: no job is open and
   * nothing runs here (`Scheduler.quiet`), so peers beat only every quiet interval.
   */
  check(nowMs: number, teamQuiet?: boolean): FenceState
  /** Notes the end of a pass (local monotonic ms), for stall detection. */
  passEnded(nowMs: number): void
}

/** The fence of one scheduler; see `Fence`. */
class MeshFence implements Fence {
  private isolatedSince: number | undefined
  private lastPassEnd: number | undefined
  private readonly presence: PresenceTable
  private readonly peerId: string
  private readonly quietMs: number
  private readonly othersKnown: () => boolean
  private knownAtStart: boolean | undefined
  private readonly leaseMs: number
  /** When the team last stopped being quiet (local monotonic ms). */
  private busySince = -Infinity
  private wasQuiet = false

  constructor (presence: PresenceTable, peerId: string, policy: SchedulerPolicy, othersKnown: () => boolean) {
    this.presence = presence
    this.peerId = peerId
    this.quietMs = policy.leaseMs - policy.fenceMarginMs
    this.othersKnown = othersKnown
    this.leaseMs = policy.leaseMs
  }

  check (nowMs: number, teamQuiet = false): FenceState {
    if (this.wasQuiet && !teamQuiet) this.busySince = nowMs
    this.wasQuiet = teamQuiet
    const stalled = this.lastPassEnd !== undefined && nowMs - this.lastPassEnd > STALL_MS
    const was = this.isolatedSince
    if (!stalled) {
      if (!this.cutOff(nowMs, teamQuiet)) this.isolatedSince = undefined
      else this.isolatedSince ??= nowMs
    }
    return { isolatedSinceMs: this.isolatedSince, stalled, rejoined: was !== undefined && this.isolatedSince === undefined }
  }

  passEnded (nowMs: number): void {
    this.lastPassEnd = nowMs
  }

  /**
   * Cut off: no other peer heard for the quiet time, while some peer that did not say goodbye
   * (its last heartbeat was not `draining`) may still be out there. Before it has heard anyone
   * since it started, a peer is cut off if its ledger named other peers then (it cannot tell
   * whether they are gone or out of reach), and alone otherwise. A peer whose peers all left
   * cleanly is alone too: nobody can take its work over.
   *
   * While the team is quiet a peer counts as heard within its live window (it beats rarely then,
   * and there is no work anyone could take over). Once a job opens, peers beat every quarter lease
   * again: a peer then counts as heard for the quiet time from its last heartbeat or from when
   * the team stopped being quiet, whichever is later, so a peer cut off just then still stops
   * before the others could take its work (they count from their own later sight of it).
   */
  private cutOff (nowMs: number, teamQuiet: boolean): boolean {
    this.knownAtStart ??= this.othersKnown()
    let heard = false
    let expected = false
    for (const info of this.presence.live(nowMs, Number.POSITIVE_INFINITY)) {
      if (info.peer === this.peerId) continue
      heard = true
      const at = this.presence.lastSeen(info.peer)
      if (teamQuiet ? this.presence.isLive(info.peer, nowMs, this.leaseMs) : at !== undefined && nowMs - Math.max(at, this.busySince) <= this.quietMs) return false
      if (info.status !== 'draining') expected = true
    }
    return heard ? expected : this.knownAtStart
  }
}

/**
 * Creates the fence of a peer that reads heartbeats from `presence`; `othersKnown` says whether
 * its ledger names other peers (asked once, at the first check).
 */
export function createFence (presence: PresenceTable, peerId: string, policy: SchedulerPolicy, othersKnown: () => boolean): Fence {
  return new MeshFence(presence, peerId, policy, othersKnown)
}
