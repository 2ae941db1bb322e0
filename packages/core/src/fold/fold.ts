import { createHash } from 'node:crypto'
import type { DecodedEvent } from '../events/envelope.ts'
import { canonicalString } from '../events/canonical.ts'
import { foldJob } from './job-fold.ts'
import { GroupIndex } from './groups.ts'
import { gateOf, RunIndex, type Settled } from './needs.ts'
import { keyOf } from './order.ts'
import { foldTeam } from './team-fold.ts'
import { terminalStatuses, type JobChange, type JobState, type TeamState } from './types.ts'

/**
 * The deterministic, order-independent fold of the event set into job and team state.
 * Not thread-safe; the ledger calls it from one queue. `apply` is idempotent per event id.
 */
export interface Fold {
  /** Adds accepted (validated, signature-checked) events in any order; duplicates are ignored. */
  apply(events: readonly DecodedEvent[]): JobChange[]
  /** Marks an author faulty from `fromSeq` on (equivocation): its bids from there are ignored. */
  markFaulty(author: string, fromSeq: number): JobChange[]
  job(id: string): JobState | undefined
  jobs(): IterableIterator<JobState>
  /** Jobs not in a terminal status (queued, awarded, running). */
  openJobs(): IterableIterator<JobState>
  /** The earliest announced succeeded job with this build-avoidance key that `accept` takes, if any. */
  succeededWithKey(cacheKey: string, accept?: (job: JobState) => boolean): JobState | undefined
  team(): TeamState
  /** sha256 hex over the canonical encoding of all state: equal on every peer with the same events. */
  stateHash(): string
}

/** The job an event belongs to, or undefined for team events. */
function jobIdOf (e: DecodedEvent): string | undefined {
  const { event } = e
  if (event.type === 'job.announced') return e.id
  if (event.type.startsWith('job.')) return (event.body as { job: string }).job
  return undefined
}

/** Earliest announced first: the order `succeededWithKey` picks by. */
function announcedFirst (a: JobState, b: JobState): number {
  if (a.announceLamport !== b.announceLamport) return a.announceLamport - b.announceLamport
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** The fold's state and its incremental upkeep: only jobs touched by new events are replayed. */
class FoldEngine implements Fold {
  private readonly seen = new Set<string>()
  private readonly byJob = new Map<string, DecodedEvent[]>()
  private readonly announces = new Map<string, DecodedEvent>()
  private readonly groups = new GroupIndex()
  private readonly runs = new RunIndex()
  private readonly states = new Map<string, JobState>()
  /** The step that last changed each job's status: what its dependants' gates are made of. */
  private readonly settled = new Map<string, Settled>()
  /** Need job id -> the jobs whose needs resolved to it. */
  private readonly dependants = new Map<string, Set<string>>()
  /** sha256 of each job state's canonical encoding, so `stateHash` re-encodes only changed jobs. */
  private readonly digests = new Map<string, Buffer>()
  /** Job ids in sorted order for `stateHash`; undefined after a new job arrives, until the next hash. */
  private sortedIds: string[] | undefined = []
  private readonly open = new Map<string, JobState>()
  private readonly succeeded = new Map<string, Set<string>>()
  private readonly teamEvents: DecodedEvent[] = []
  private readonly faulty = new Map<string, number>()
  private teamState: TeamState = foldTeam([])
  /** The last `stateHash()`, until an apply or markFaulty changes something. */
  private hash: string | undefined

  apply (events: readonly DecodedEvent[]): JobChange[] {
    const dirty = new Set<string>()
    const dirtyGroups = new Set<string>()
    const dirtyRuns = new Set<string>()
    let teamDirty = false
    for (const e of events) {
      if (this.seen.has(e.id)) continue
      this.seen.add(e.id)
      const jobId = jobIdOf(e)
      if (jobId === undefined) {
        this.teamEvents.push(e)
        teamDirty = true
        continue
      }
      if (e.event.type === 'job.announced') {
        this.announces.set(e.id, e)
        const g = this.groups.add(e)
        if (g !== undefined) dirtyGroups.add(g)
        const run = this.runs.add(e)
        if (run !== undefined) dirtyRuns.add(run)
      }
      let list = this.byJob.get(jobId)
      if (list === undefined) this.byJob.set(jobId, list = [])
      list.push(e)
      dirty.add(jobId)
    }
    for (const g of dirtyGroups) for (const jobId of this.groups.resignal(g)) dirty.add(jobId)
    // A new job of a run can be what another job of it needs: their needs resolve again.
    for (const run of dirtyRuns) for (const jobId of this.runs.jobsOf(run)) dirty.add(jobId)
    const changes = this.refoldAll(dirty)
    if (teamDirty) this.teamState = foldTeam(this.teamEvents)
    if (dirty.size > 0 || teamDirty) this.hash = undefined
    return changes
  }

  markFaulty (author: string, fromSeq: number): JobChange[] {
    const known = this.faulty.get(author)
    if (known !== undefined && known <= fromSeq) return []
    this.faulty.set(author, fromSeq)
    this.hash = undefined
    const dirty = new Set<string>()
    for (const [jobId, list] of this.byJob) {
      if (list.some((e) => e.event.author === author && e.event.type === 'job.bid')) dirty.add(jobId)
    }
    return this.refoldAll(dirty)
  }

  job (id: string): JobState | undefined {
    return this.states.get(id)
  }

  jobs (): IterableIterator<JobState> {
    return this.states.values()
  }

  openJobs (): IterableIterator<JobState> {
    return this.open.values()
  }

  succeededWithKey (cacheKey: string, accept: (job: JobState) => boolean = () => true): JobState | undefined {
    let best: JobState | undefined
    for (const id of this.succeeded.get(cacheKey) ?? []) {
      const job = this.states.get(id)!
      if (!accept(job)) continue
      if (best === undefined || announcedFirst(job, best) < 0) best = job
    }
    return best
  }

  team (): TeamState {
    return this.teamState
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
    const hash = createHash('sha256')
    this.sortedIds ??= [...this.states.keys()].sort()
    for (const id of this.sortedIds) {
      let digest = this.digests.get(id)
      if (digest === undefined) this.digests.set(id, digest = createHash('sha256').update(canonicalString(this.states.get(id))).digest())
      hash.update(id).update(digest)
    }
    hash.update(canonicalString(this.teamState)).update('\n')
    hash.update(canonicalString([...this.faulty].sort(([a], [b]) => (a < b ? -1 : 1))))
    return hash.digest('hex')
  }

  /**
   * Refolds `dirty` jobs, then the dependants of every job whose status or settling step changed,
   * until nothing changes. Needs point to lower seqs of one author, so this ends.
   */
  private refoldAll (dirty: Iterable<string>): JobChange[] {
    const before = new Map<string, JobState['status'] | undefined>()
    const work = new Set(dirty)
    for (const jobId of work) {
      work.delete(jobId)
      if (!before.has(jobId)) before.set(jobId, this.states.get(jobId)?.status)
      if (!this.refold(jobId)) continue
      for (const dependant of this.dependants.get(jobId) ?? []) work.add(dependant)
    }
    const changes: JobChange[] = []
    for (const [job, was] of before) {
      const after = this.states.get(job)?.status
      if (after !== undefined && after !== was) changes.push({ job, before: was, after })
    }
    return changes
  }

  /** Replays one job; true when its status or the step that settled it changed. */
  private refold (jobId: string): boolean {
    const announce = this.announces.get(jobId)
    if (announce === undefined) return false
    const prev = this.states.get(jobId)
    const prevSettled = this.settled.get(jobId)
    const resolved = this.runs.resolve(announce)
    for (const need of resolved) {
      if (need.job === undefined) continue
      let set = this.dependants.get(need.job)
      if (set === undefined) this.dependants.set(need.job, set = new Set())
      set.add(jobId)
    }
    const needs = resolved.length === 0
      ? undefined
      : { resolved, gate: gateOf(resolved, (id) => this.settled.get(id), keyOf(announce), announce.event.time) }
    const { state: next, settled } = foldJob(announce, this.byJob.get(jobId) ?? [], { signals: this.groups.signalsOf(jobId), faulty: this.faulty, ...(needs === undefined ? {} : { needs }) })
    if (prev === undefined) this.sortedIds = undefined
    this.states.set(jobId, next)
    this.settled.set(jobId, settled)
    this.digests.delete(jobId)
    if (terminalStatuses.has(next.status)) this.open.delete(jobId)
    else this.open.set(jobId, next)
    this.indexResult(jobId, next)
    return prev?.status !== next.status || prevSettled === undefined || prevSettled.key.id !== settled.key.id
  }

  private indexResult (jobId: string, next: JobState): void {
    if (next.cacheKey === undefined) return
    let set = this.succeeded.get(next.cacheKey)
    if (next.status === 'succeeded') {
      if (set === undefined) this.succeeded.set(next.cacheKey, set = new Set())
      set.add(jobId)
    } else set?.delete(jobId)
  }
}

/** Creates an empty fold. */
export function createFold (): Fold {
  return new FoldEngine()
}
