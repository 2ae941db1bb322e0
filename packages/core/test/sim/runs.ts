/** What simulated runners did, from their own records (`sim.executions`), never from the fold. */
import type { ExecutionRecord, Simulation } from '../../src/sim/index.ts'

/** Pairs of runs of one job that were under way at the same time, as `job runner#attempt runner#attempt`. */
export function overlaps (sim: Simulation): string[] {
  const now = sim.loop.now()
  const byJob = new Map<string, ExecutionRecord[]>()
  for (const r of sim.executions) byJob.set(r.job, [...(byJob.get(r.job) ?? []), r])
  const out: string[] = []
  for (const [job, runs] of byJob) {
    runs.sort((a, b) => a.startMs - b.startMs)
    for (let i = 0; i < runs.length; i++) {
      for (let j = i + 1; j < runs.length && runs[j]!.startMs < (runs[i]!.endMs ?? now); j++) {
        out.push(`${job.slice(0, 8)} ${runs[i]!.peer.slice(-6)}#${runs[i]!.attempt} ${runs[j]!.peer.slice(-6)}#${runs[j]!.attempt}`)
      }
    }
  }
  return out
}

/** The runs of `job` that ran to their end, as `runner#attempt`. */
export function completedRuns (sim: Simulation, job: string): string[] {
  return sim.executions.filter((r) => r.job === job && r.completed).map((r) => `${r.peer}#${r.attempt}`)
}
