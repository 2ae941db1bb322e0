import { createHash } from 'node:crypto'
import type { DecodedEvent } from '../events/envelope.ts'
import { canonicalString } from '../events/canonical.ts'
import { JobIndex, jobIdOf } from './job-index.ts'
import type { Role } from '../events/bodies.ts'
import { rolesAt, rolesHeld } from './authority.ts'
import { keyOf } from './order.ts'
import { foldTeam, type TeamTimeline } from './team-fold.ts'
import type { JobChange, JobState, JobStatus, TeamState } from './types.ts'

/**
 * The deterministic, order-independent fold of the event set into job and team state.
 * Not thread-safe; the ledger calls it from one queue. `apply` is idempotent per event id.
 */
export interface Fold {
  /** Adds accepted (validated, signature-checked) events in any order; duplicates are ignored. */
  apply(events: readonly DecodedEvent[]): JobChange[]
  /**
   * Marks an author faulty from `fromSeq` on (equivocation): all its events from there are ignored,
   * and jobs it announced from there are gone (their changes have `after` undefined).
   */
  markFaulty(author: string, fromSeq: number): JobChange[]
  job(id: string): JobState | undefined
  jobs(): IterableIterator<JobState>
  /** Jobs not in a terminal status (queued, awarded, running). */
  openJobs(): IterableIterator<JobState>
  /** The earliest announced succeeded job with this build-avoidance key that `accept` takes, if any. */
  succeededWithKey(cacheKey: string, accept?: (job: JobState) => boolean): JobState | undefined
  team(): TeamState
  /** Whether the team ever listed this peer: its events are kept and judged at their place in the order. */
  wasListed(peer: string): boolean
  /**
   * The roles (`member`, `trusted`, `admin`; each implies the ones before) `peer` held at `at`'s
   * place in the order, by the rule the fold judges that event's author with; without `at`, after
   * every team event. Empty when it was not a member then.
   */
  rolesAt(peer: string, at?: DecodedEvent): Role[]
  /** sha256 hex over the canonical encoding of all state: equal on every peer with the same events. */
  stateHash(): string
}

/** Earliest announced first: the order `succeededWithKey` picks by. */
function announcedFirst (a: JobState, b: JobState): number {
  if (a.announceLamport !== b.announceLamport) return a.announceLamport - b.announceLamport
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** The fold's state and its incremental upkeep: only jobs touched by new events are replayed. */
class FoldEngine implements Fold {
  private readonly seen = new Set<string>()
  /** Every job event held (faulty authors' from their forked seq excepted), for a full replay. */
  private readonly jobEvents: DecodedEvent[] = []
  private readonly teamEvents: DecodedEvent[] = []
  private readonly faulty = new Map<string, number>()
  private readonly admin: string | undefined
  private timeline: TeamTimeline

  private idx = new JobIndex()
  /** The last `stateHash()`, until an apply or markFaulty changes something. */
  private hash: string | undefined

  constructor (init: FoldInit) {
    this.admin = init.admin
    this.timeline = foldTeam([], this.admin)
  }

  apply (events: readonly DecodedEvent[]): JobChange[] {
    const jobs: DecodedEvent[] = []
    let teamChanged = false
    for (const e of events) {
      if (this.seen.has(e.id)) continue
      this.seen.add(e.id)
      if (this.excluded(e)) continue
      if (jobIdOf(e) === undefined) {
        this.teamEvents.push(e)
        teamChanged = true
      } else {
        jobs.push(e)
        this.jobEvents.push(e)
      }
    }
    // A team event that changes no role (say, a member's attempt to add someone) needs no replay.
    if (teamChanged && this.refoldTeam()) return this.replayAll()
    const dirty = this.idx.add(jobs, this.timeline)
    if (dirty.size > 0) this.hash = undefined
    return this.refoldAll(dirty)
  }

  /**
   * Every event of an equivocating author from its forked seq on is ignored, whichever fork a peer
   * holds, so peers with the same evidence fold the same state. A lower seq replays everything.
   */
  markFaulty (author: string, fromSeq: number): JobChange[] {
    const known = this.faulty.get(author)
    if (known !== undefined && known <= fromSeq) return []
    this.faulty.set(author, fromSeq)
    const keep = (e: DecodedEvent): boolean => !this.excluded(e)
    const jobs = this.jobEvents.filter(keep)
    this.jobEvents.length = 0
    this.jobEvents.push(...jobs)
    const team = this.teamEvents.filter(keep)
    if (team.length !== this.teamEvents.length) {
      this.teamEvents.length = 0
      this.teamEvents.push(...team)
      this.refoldTeam()
    }
    return this.replayAll()
  }

  /** Folds the team events again; true when any role at any place changed. */
  private refoldTeam (): boolean {
    const next = foldTeam(this.teamEvents, this.admin)
    const changed = next.signature !== this.timeline.signature
    this.timeline = next
    if (changed) this.hash = undefined
    return changed
  }

  private excluded (e: DecodedEvent): boolean {
    const from = this.faulty.get(e.event.author)
    return from !== undefined && e.event.seq >= from
  }

  /** Replays every job from scratch (the team or the faulty authors changed); reports what moved. */
  private replayAll (): JobChange[] {
    const before = new Map<string, JobStatus>()
    for (const [id, state] of this.idx.states) before.set(id, state.status)
    this.idx = new JobIndex()
    this.hash = undefined
    this.refoldAll(this.idx.add(this.jobEvents, this.timeline))
    const changes: JobChange[] = []
    for (const [job, state] of this.idx.states) if (before.get(job) !== state.status) changes.push({ job, before: before.get(job), after: state.status })
    for (const [job, was] of before) if (!this.idx.states.has(job)) changes.push({ job, before: was, after: undefined })
    return changes
  }

  job (id: string): JobState | undefined {
    return this.idx.states.get(id)
  }

  jobs (): IterableIterator<JobState> {
    return this.idx.states.values()
  }

  openJobs (): IterableIterator<JobState> {
    return this.idx.open.values()
  }

  succeededWithKey (cacheKey: string, accept: (job: JobState) => boolean = () => true): JobState | undefined {
    let best: JobState | undefined
    for (const id of this.idx.succeeded.get(cacheKey) ?? []) {
      const job = this.idx.states.get(id)!
      if (!accept(job)) continue
      if (best === undefined || announcedFirst(job, best) < 0) best = job
    }
    return best
  }

  team (): TeamState {
    return this.timeline.state
  }

  wasListed (peer: string): boolean {
    return this.timeline.everListed(peer)
  }

  rolesAt (peer: string, at?: DecodedEvent): Role[] {
    if (at !== undefined) return rolesAt(this.timeline, peer, keyOf(at), at.event.author === peer ? at.event.seq : undefined)
    const { state } = this.timeline
    return rolesHeld(state.mode === 'open' || state.members[peer] !== undefined, state.members[peer])
  }

  stateHash (): string {
    this.hash ??= this.computeHash()
    return this.hash
  }

  /**
   * sha256 over every job's id and state digest in id order, then the team and the faulty authors.
   * A status call after a few changes re-encodes only the changed jobs and hashes 96 bytes per job.
   */
  private computeHash (): string {
    const { idx } = this
    const hash = createHash('sha256')
    idx.sortedIds ??= [...idx.states.keys()].sort()
    for (const id of idx.sortedIds) {
      let digest = idx.digests.get(id)
      if (digest === undefined) idx.digests.set(id, digest = createHash('sha256').update(canonicalString(idx.states.get(id))).digest())
      hash.update(id).update(digest)
    }
    hash.update(canonicalString(this.timeline.state)).update('\n')
    hash.update(canonicalString([...this.faulty].sort(([a], [b]) => (a < b ? -1 : 1))))
    return hash.digest('hex')
  }

  private refoldAll (dirty: Iterable<string>): JobChange[] {
    return this.idx.refoldAll(dirty, this.timeline)
  }
}

/** What a fold is made for. */
export interface FoldInit {
  /**
   * The team's admin as the team file names it: only its `team.created` founds the team. Leave it
   * out only where no team file exists (the simulator, tests): then the first one does.
   */
  admin?: string
}

/** Creates an empty fold. */
export function createFold (init: FoldInit = {}): Fold {
  return new FoldEngine(init)
}
