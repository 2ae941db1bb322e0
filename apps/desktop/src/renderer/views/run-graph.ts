/** Stages of a run's jobs by their needs: a job sits one stage after the latest job it needs. */
import type { NeedRow } from '../api/types.ts'

export interface GraphJob { id: string, pipelineJob: string, needs: NeedRow[] }

/** Jobs grouped in stages, in pipeline order within each; needs outside the run are ignored. */
export function stagesOf<T extends GraphJob> (jobs: readonly T[]): T[][] {
  const byName = new Map(jobs.map((j) => [j.pipelineJob, j]))
  const depth = new Map<string, number>()
  const visit = (job: T, path: Set<string>): number => {
    const known = depth.get(job.id)
    if (known !== undefined) return known
    if (path.has(job.id)) return 0
    path.add(job.id)
    let d = 0
    for (const n of job.needs) {
      const need = byName.get(n.pipelineJob)
      if (need !== undefined) d = Math.max(d, visit(need, path) + 1)
    }
    path.delete(job.id)
    depth.set(job.id, d)
    return d
  }
  const stages: T[][] = []
  for (const j of jobs) (stages[visit(j, new Set())] ??= []).push(j)
  return stages.filter((s) => s !== undefined)
}
