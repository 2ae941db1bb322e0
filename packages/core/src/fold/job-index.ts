/** The fold's job state and its incremental upkeep: only jobs touched by new events are replayed. */
import type { DecodedEvent } from '../events/envelope.ts'
import { foldJob, type CacheSource } from './job-fold.ts'
import { GroupIndex } from './groups.ts'
import { gateOf, RunIndex, type Settled } from './needs.ts'
import { keyOf } from './order.ts'
import type { TeamTimeline } from './team-fold.ts'
import { terminalStatuses, type JobChange, type JobState } from './types.ts'

/** The job an event belongs to, or undefined for team events. */
export function jobIdOf (e: DecodedEvent): string | undefined {
  const { event } = e
  if (event.type === 'job.announced') return e.id
  if (event.type.startsWith('job.')) return (event.body as { job: string }).job
  return undefined
}

/** Every job's events, state and indexes. Not thread-safe; the fold calls it from one queue. */
export class JobIndex {
  readonly states = new Map<string, JobState>()
  readonly open = new Map<string, JobState>()
  /** Build-avoidance key -> succeeded jobs with it. */
  readonly succeeded = new Map<string, Set<string>>()
  /** Job ids in sorted order for the state hash; undefined after the set of jobs changed. */
  sortedIds: string[] | undefined = []
  /** sha256 of each job state's canonical encoding, so the hash re-encodes only changed jobs. */
  readonly digests = new Map<string, Buffer>()
  private readonly byJob = new Map<string, DecodedEvent[]>()
  private readonly announces = new Map<string, DecodedEvent>()
  private readonly groups = new GroupIndex()
  private readonly runs = new RunIndex()
  /** The step that last changed each job's status: what its dependants' gates are made of. */
  private readonly settled = new Map<string, Settled>()
  /** Job id -> the jobs that depend on it (needs resolved to it, or a `cached` finish names it). */
  private readonly dependants = new Map<string, Set<string>>()

  /**
   * Takes new job events; returns the jobs to replay. An announce counts only when its author is a
   * member at its place in the order; the rest of its events wait for one that does.
   */
  add (events: readonly DecodedEvent[], team: TeamTimeline): Set<string> {
    const dirty = new Set<string>()
    const dirtyGroups = new Set<string>()
    const dirtyRuns = new Set<string>()
    for (const e of events) {
      const jobId = jobIdOf(e)!
      if (e.event.type === 'job.announced' && team.memberAt(e.event.author, keyOf(e), e.event.seq)) {
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
    return dirty
  }

  /**
   * Refolds `dirty` jobs, then the dependants of every job whose status or settling step changed,
   * until nothing changes. Needs point to lower seqs of one author and a cached result to a job
   * that succeeded by running, so this ends.
   */
  refoldAll (dirty: Iterable<string>, team: TeamTimeline): JobChange[] {
    const before = new Map<string, JobState['status'] | undefined>()
    const work = new Set(dirty)
    for (const jobId of work) {
      work.delete(jobId)
      if (!before.has(jobId)) before.set(jobId, this.states.get(jobId)?.status)
      if (!this.refold(jobId, team)) continue
      for (const dependant of this.dependants.get(jobId) ?? []) work.add(dependant)
    }
    const changes: JobChange[] = []
    for (const [job, was] of before) {
      const after = this.states.get(job)?.status
      if (after !== undefined && after !== was) changes.push({ job, before: was, after })
    }
    return changes
  }

  /** A job as a `cached` finish may name it (bound once: every replay passes it). */
  private readonly source = (id: string): CacheSource | undefined => {
    const state = this.states.get(id)
    const settled = this.settled.get(id)
    return state === undefined || settled === undefined ? undefined : { state, settled }
  }

  private depend (on: string, jobId: string): void {
    let set = this.dependants.get(on)
    if (set === undefined) this.dependants.set(on, set = new Set())
    set.add(jobId)
  }

  /** Replays one job; true when its status or the step that settled it changed. */
  private refold (jobId: string, team: TeamTimeline): boolean {
    const announce = this.announces.get(jobId)
    if (announce === undefined) return false
    const prev = this.states.get(jobId)
    const prevSettled = this.settled.get(jobId)
    const resolved = this.runs.resolve(announce)
    for (const need of resolved) if (need.job !== undefined) this.depend(need.job, jobId)
    const events = this.byJob.get(jobId) ?? []
    for (const e of events) {
      if (e.event.type === 'job.finished' && e.event.body.cachedFrom !== undefined) this.depend(e.event.body.cachedFrom, jobId)
    }
    const needs = resolved.length === 0
      ? undefined
      : { resolved, gate: gateOf(resolved, (id) => this.settled.get(id), keyOf(announce), announce.event.time) }
    const { state: next, settled } = foldJob(announce, events, { signals: this.groups.signalsOf(jobId), team, source: this.source, ...(needs === undefined ? {} : { needs }) })
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
