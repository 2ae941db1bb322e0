import { createHash } from 'node:crypto'
import type { DecodedEvent } from '../events/envelope.ts'
import { canonicalString } from '../events/canonical.ts'
import { compareKeys, keyOf } from './order.ts'
import { foldJob, type GroupSignal } from './job-fold.ts'
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
  /** A succeeded job with this build-avoidance key (the earliest announced), if any. */
  succeededWithKey(cacheKey: string): JobState | undefined
  team(): TeamState
  /** sha256 hex over the canonical encoding of all state: equal on every peer with the same events. */
  stateHash(): string
}

interface GroupEntry {
  announce: DecodedEvent
  cancelInProgress: boolean
}

/** The job an event belongs to, or undefined for team events. */
function jobIdOf (e: DecodedEvent): string | undefined {
  const { event } = e
  if (event.type === 'job.announced') return e.id
  if (event.type.startsWith('job.')) return (event.body as { job: string }).job
  return undefined
}

/** Creates an empty fold. */
export function createFold (): Fold {
  const seen = new Set<string>()
  const byJob = new Map<string, DecodedEvent[]>()
  const announces = new Map<string, DecodedEvent>()
  const groups = new Map<string, GroupEntry[]>()
  const signals = new Map<string, GroupSignal[]>()
  const states = new Map<string, JobState>()
  const encoded = new Map<string, string>()
  const open = new Map<string, JobState>()
  const succeeded = new Map<string, Set<string>>()
  const teamEvents: DecodedEvent[] = []
  const faulty = new Map<string, number>()
  let team: TeamState = foldTeam([])
  let teamDirty = false

  function refold (jobId: string, changes: JobChange[]): void {
    const announce = announces.get(jobId)
    if (announce === undefined) return
    const before = states.get(jobId)?.status
    const next = foldJob(announce, byJob.get(jobId) ?? [], signals.get(jobId) ?? [], faulty)
    states.set(jobId, next)
    encoded.delete(jobId)
    if (terminalStatuses.has(next.status)) open.delete(jobId)
    else open.set(jobId, next)
    if (next.cacheKey !== undefined) {
      let set = succeeded.get(next.cacheKey)
      if (next.status === 'succeeded') {
        if (set === undefined) succeeded.set(next.cacheKey, set = new Set())
        set.add(jobId)
      } else set?.delete(jobId)
    }
    if (before !== next.status) changes.push({ job: jobId, before, after: next.status })
  }

  /** Recomputes the group signals of every job in a group; returns the jobs whose signals changed. */
  function regroup (groupKey: string, dirty: Set<string>): void {
    const entries = groups.get(groupKey) ?? []
    let firstNewer: GroupSignal | undefined
    let firstCancel: GroupSignal | undefined
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!
      const next: GroupSignal[] = []
      if (firstNewer !== undefined) next.push(firstNewer)
      if (firstCancel !== undefined && firstCancel !== firstNewer) next.push(firstCancel)
      const prev = signals.get(entry.announce.id) ?? []
      if (prev.length !== next.length || prev.some((p, k) => p.by !== next[k]!.by || p.kind !== next[k]!.kind)) {
        signals.set(entry.announce.id, next)
        dirty.add(entry.announce.id)
      }
      const key = keyOf(entry.announce)
      firstNewer = { key, by: entry.announce.id, kind: entry.cancelInProgress ? 'cancel' : 'supersede' }
      if (entry.cancelInProgress) firstCancel = firstNewer
    }
  }

  function addAnnounce (e: DecodedEvent, dirtyGroups: Set<string>): void {
    announces.set(e.id, e)
    if (e.event.type !== 'job.announced' || e.event.body.group === undefined) return
    const groupKey = `${e.event.body.repo}\u0000${e.event.body.group.name}`
    const entries = groups.get(groupKey) ?? []
    entries.push({ announce: e, cancelInProgress: e.event.body.group.cancelInProgress })
    entries.sort((a, b) => compareKeys(keyOf(a.announce), keyOf(b.announce)))
    groups.set(groupKey, entries)
    dirtyGroups.add(groupKey)
  }

  function apply (events: readonly DecodedEvent[]): JobChange[] {
    const dirty = new Set<string>()
    const dirtyGroups = new Set<string>()
    for (const e of events) {
      if (seen.has(e.id)) continue
      seen.add(e.id)
      const jobId = jobIdOf(e)
      if (jobId === undefined) {
        teamEvents.push(e)
        teamDirty = true
        continue
      }
      if (e.event.type === 'job.announced') addAnnounce(e, dirtyGroups)
      let list = byJob.get(jobId)
      if (list === undefined) byJob.set(jobId, list = [])
      list.push(e)
      dirty.add(jobId)
    }
    for (const g of dirtyGroups) regroup(g, dirty)
    const changes: JobChange[] = []
    for (const jobId of dirty) refold(jobId, changes)
    if (teamDirty) {
      team = foldTeam(teamEvents)
      teamDirty = false
    }
    return changes
  }

  function markFaulty (author: string, fromSeq: number): JobChange[] {
    const known = faulty.get(author)
    if (known !== undefined && known <= fromSeq) return []
    faulty.set(author, fromSeq)
    const changes: JobChange[] = []
    for (const [jobId, list] of byJob) {
      if (list.some((e) => e.event.author === author && e.event.type === 'job.bid')) refold(jobId, changes)
    }
    return changes
  }

  function stateHash (): string {
    const hash = createHash('sha256')
    const ids = [...states.keys()].sort()
    for (const id of ids) {
      let text = encoded.get(id)
      if (text === undefined) encoded.set(id, text = canonicalString(states.get(id)))
      hash.update(text).update('\n')
    }
    hash.update(canonicalString(team)).update('\n')
    hash.update(canonicalString([...faulty].sort(([a], [b]) => (a < b ? -1 : 1))))
    return hash.digest('hex')
  }

  return {
    apply,
    markFaulty,
    job: (id) => states.get(id),
    jobs: () => states.values(),
    openJobs: () => open.values(),
    succeededWithKey (cacheKey) {
      let best: JobState | undefined
      for (const id of succeeded.get(cacheKey) ?? []) {
        const job = states.get(id)!
        if (best === undefined || job.announceLamport < best.announceLamport || (job.announceLamport === best.announceLamport && job.id < best.id)) best = job
      }
      return best
    },
    team: () => team,
    stateHash
  }
}
