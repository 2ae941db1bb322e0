import type { Priority } from '../events/bodies.ts'
import type { JobState } from '../fold/types.ts'
import { priorities, type SchedulerPolicy } from './policy.ts'

/** Slot-time (ms) each level used within the usage window, and the attempts that make up its cost. */
export interface LevelUsage {
  usedMs: Record<Priority, number>
  /** Sum of the run time (ms) of finished attempts, and their number, per level. */
  costSumMs: Record<Priority, number>
  finished: Record<Priority, number>
}

const zero = (): Record<Priority, number> => ({ critical: 0, high: 0, normal: 0, low: 0 })

/** Measures each level's slot-time from the attempts in `jobs` (awarded until finished, or now). */
export function levelUsage (jobs: Iterable<JobState>, nowMs: number, policy: SchedulerPolicy): LevelUsage {
  const u: LevelUsage = { usedMs: zero(), costSumMs: zero(), finished: zero() }
  const since = nowMs - policy.usageWindowMs
  for (const job of jobs) {
    for (const a of job.attempts) {
      const end = a.finishedAt ?? (job.status === 'awarded' || job.status === 'running' ? nowMs : a.awardedAt)
      if (end < since) continue
      u.usedMs[job.priority] += Math.max(0, end - Math.max(a.awardedAt, since))
      if (a.finishedAt !== undefined) {
        u.costSumMs[job.priority] += Math.max(0, a.finishedAt - a.awardedAt)
        u.finished[job.priority] += 1
      }
    }
  }
  return u
}

/** Adds two usage measurements (e.g. a cached one of finished jobs and a fresh one of open jobs). */
export function addUsage (a: LevelUsage, b: LevelUsage): LevelUsage {
  const sum = (x: Record<Priority, number>, y: Record<Priority, number>): Record<Priority, number> =>
    ({ critical: x.critical + y.critical, high: x.high + y.high, normal: x.normal + y.normal, low: x.low + y.low })
  return { usedMs: sum(a.usedMs, b.usedMs), costSumMs: sum(a.costSumMs, b.costSumMs), finished: sum(a.finished, b.finished) }
}

/** Expected run time of a job (ms), for ordering jobs announced together; 0 when unknown. */
function expectedMs (job: JobState): number {
  return job.synthetic?.durationMs ?? 0
}

/**
 * FIFO by announce second; among jobs announced in the same second (one push, a matrix), the longest
 * expected first, which shortens the time until the whole batch is done.
 */
function fifo (a: JobState, b: JobState): number {
  const sa = Math.floor(a.announcedAt / 1000)
  const sb = Math.floor(b.announcedAt / 1000)
  if (sa !== sb) return sa - sb
  const ea = expectedMs(a)
  const eb = expectedMs(b)
  if (ea !== eb) return eb - ea
  if (a.announcedAt !== b.announcedAt) return a.announcedAt - b.announcedAt
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

interface LevelQueues {
  jobs: Map<Priority, JobState[]>
  heads: Record<Priority, number>
}

/**
 * The level whose head job goes next. Weighted fair sharing picks the level with the least
 * slot-time per weight. Aging may override it: a head job that waited `starvationMs` goes ahead of
 * a fresh job of its own or a higher level (the oldest such job first), but never ahead of a fresh
 * job of a lower level, which its level's share already serves.
 */
function nextLevel (q: LevelQueues, virtual: Record<Priority, number>, agedBefore: number): Priority | undefined {
  let fair: Priority | undefined
  for (const p of priorities) {
    if (q.heads[p] >= q.jobs.get(p)!.length) continue
    if (fair === undefined || virtual[p] < virtual[fair]) fair = p
  }
  if (fair === undefined) return undefined
  const head = (p: Priority): JobState => q.jobs.get(p)![q.heads[p]]!
  if (head(fair).announcedAt <= agedBefore) return fair
  let oldest: Priority | undefined
  for (let i = priorities.indexOf(fair); i < priorities.length; i++) {
    const p = priorities[i]!
    if (q.heads[p] >= q.jobs.get(p)!.length || head(p).announcedAt > agedBefore) continue
    if (oldest === undefined || head(p).announcedAt < head(oldest).announcedAt) oldest = p
  }
  return oldest ?? fair
}

/**
 * The order in which queued jobs should get slots: levels interleave by weighted fair sharing (the
 * level with the least slot-time per weight goes next, each pick charging it the level's mean cost),
 * so while all levels are backlogged their shares of slot-time follow the weights, and no level's
 * share falls below its weight however much higher-priority work waits. FIFO within a level. Aging
 * (see `nextLevel`) lets a job held back by labels or a burst through after `starvationMs`.
 * Pure: peers with the same fold and clock compute the same order.
 */
export function queueOrder (jobs: Iterable<JobState>, nowMs: number, policy: SchedulerPolicy, usage?: LevelUsage): JobState[] {
  const all = [...jobs]
  const u = usage ?? levelUsage(all, nowMs, policy)
  const q: LevelQueues = { jobs: new Map(priorities.map((p) => [p, []])), heads: zero() }
  for (const job of all) if (job.status === 'queued') q.jobs.get(job.priority)!.push(job)
  const virtual = zero()
  const cost = zero()
  for (const p of priorities) {
    q.jobs.get(p)!.sort(fifo)
    virtual[p] = u.usedMs[p] / policy.weights[p]
    cost[p] = u.finished[p] > 0 ? Math.max(1, u.costSumMs[p] / u.finished[p]) : policy.defaultCostMs
  }
  const order: JobState[] = []
  const agedBefore = nowMs - policy.starvationMs
  for (let p = nextLevel(q, virtual, agedBefore); p !== undefined; p = nextLevel(q, virtual, agedBefore)) {
    order.push(q.jobs.get(p)![q.heads[p]]!)
    q.heads[p] += 1
    virtual[p] += cost[p] / policy.weights[p]
  }
  return order
}
