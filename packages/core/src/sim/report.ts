import type { Priority } from '../events/bodies.ts'
import { terminalStatuses, type JobState } from '../fold/types.ts'
import type { ExecutionRecord } from './peer.ts'
import type { Simulation } from './sim.ts'

/** Figures of one simulation run, read from the ledgers of the peers that are up. */
export interface SimReport {
  jobs: number
  /** Announced jobs that are missing or not terminal on some up peer. */
  lost: number
  /** Jobs with more than one accepted completion (must be 0). */
  doubleCompletions: number
  /** Jobs two of whose runs (as the runners recorded them) were under way at the same time (must be 0). */
  duplicateRuns: number
  /** Runs that ran to their end, per job id, as the runners recorded them. */
  completedRuns: Map<string, number>
  /** Every up peer has the same state hash. */
  hashAgree: boolean
  /** From the first announce to the last result (ms). */
  makespanMs: number
  /** Announce to first start (ms), per priority. */
  waitsMs: Record<Priority, number[]>
  /** Slot-time (ms) executed per priority within the share window. */
  slotMs: Record<Priority, number>
  statuses: Record<string, number>
}

/**
 * Pairs of runs of one job that were under way at the same time, from the runners' own records
 * (a run still going at `nowMs` counts until then). A run that ends when another starts does not
 * overlap it.
 */
export function overlappingRuns<R extends Pick<ExecutionRecord, 'job' | 'startMs' | 'endMs'>> (records: readonly R[], nowMs: number): [R, R][] {
  const byJob = new Map<string, R[]>()
  for (const r of records) {
    let list = byJob.get(r.job)
    if (list === undefined) byJob.set(r.job, list = [])
    list.push(r)
  }
  const pairs: [R, R][] = []
  for (const list of byJob.values()) {
    list.sort((a, b) => a.startMs - b.startMs)
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length && list[j]!.startMs < (list[i]!.endMs ?? nowMs); j++) pairs.push([list[i]!, list[j]!])
    }
  }
  return pairs
}

/** Attempts that count as the job's completion: a success, or the failure that ended it. */
export function acceptedCompletions (job: JobState): number {
  let n = job.attempts.filter((a) => a.outcome === 'succeeded').length
  if (job.status === 'failed' && job.result !== undefined && job.attempts.some((a) => a.n === job.result!.attempt && a.outcome === 'failed')) n++
  return n
}

/** Reads the report; `shareWindowMs` limits slot-time accounting to [from, to) simulated ms. */
export function simReport (sim: Simulation, shareWindowMs?: readonly [number, number]): SimReport {
  const up = sim.peers.filter((p) => p.up)
  const ref = up[0]?.replica.fold
  const hashes = new Set(up.map((p) => p.replica.fold.stateHash()))
  const waitsMs: Record<Priority, number[]> = { critical: [], high: [], normal: [], low: [] }
  const statuses: Record<string, number> = {}
  let lost = 0
  let doubleCompletions = 0
  let first = Infinity
  let last = -Infinity
  const priorityOf = new Map<string, Priority>()
  for (const id of sim.announced()) {
    const job = ref?.job(id)
    const everywhere = up.every((p) => { const j = p.replica.fold.job(id); return j !== undefined && terminalStatuses.has(j.status) })
    if (job !== undefined) priorityOf.set(id, job.priority)
    if (job === undefined || !everywhere) { lost++; continue }
    statuses[job.status] = (statuses[job.status] ?? 0) + 1
    if (acceptedCompletions(job) > 1) doubleCompletions++
    first = Math.min(first, job.announcedAt)
    last = Math.max(last, job.result?.at ?? job.announcedAt)
    const a0 = job.attempts[0]
    if (a0 !== undefined) waitsMs[job.priority].push((a0.startedAt ?? a0.awardedAt) - job.announcedAt)
  }
  const completedRuns = new Map<string, number>()
  const slotMs: Record<Priority, number> = { critical: 0, high: 0, normal: 0, low: 0 }
  const [from, to] = shareWindowMs ?? [0, Infinity]
  for (const r of sim.executions) {
    if (r.completed) completedRuns.set(r.job, (completedRuns.get(r.job) ?? 0) + 1)
    const p = priorityOf.get(r.job)
    const end = r.endMs ?? sim.loop.now()
    if (p !== undefined) slotMs[p] += Math.max(0, Math.min(end, to) - Math.max(r.startMs, from))
  }
  return {
    jobs: sim.announced().length,
    lost,
    doubleCompletions,
    duplicateRuns: new Set(overlappingRuns(sim.executions, sim.loop.now()).map(([a]) => a.job)).size,
    completedRuns,
    hashAgree: hashes.size === 1,
    makespanMs: Number.isFinite(first) ? last - first : 0,
    waitsMs,
    slotMs,
    statuses
  }
}
