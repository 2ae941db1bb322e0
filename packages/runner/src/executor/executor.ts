/**
 * The runner's `JobExecutor`: one attempt of a pipeline job, start to finish. Fetch the exact
 * commit into this peer's mirror, read the job's steps from its `.devq.yml`, prepare a workspace,
 * place the artifacts of the jobs it needs, get its secrets from the origin, run the steps (in the
 * sandbox when the job or the runner asks for one), collect its artifacts, and report.
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { AttemptReport, JobActivity, JobState } from '@devq/core'
import { runAttempt } from './attempt.ts'
import type { ExecutorComponents, ExecutorInit, PipelineExecutor } from './types.ts'

/** Creates the pipeline executor. Attempts run concurrently; each has its own scratch dir. */
export function createPipelineExecutor (c: ExecutorComponents, init: ExecutorInit): PipelineExecutor {
  const current = new Map<string, JobActivity>()
  return {
    activity: () => [...current.values()],
    async run (job: JobState, attempt: number, signal: AbortSignal): Promise<AttemptReport> {
      const key = `${job.id}:${attempt}`
      const report = (a: Omit<JobActivity, 'job' | 'attempt'>): void => { current.set(key, { job: job.id, attempt, ...a }) }
      report({ phase: 'fetching' })
      const scratch = join(init.scratchDir, `${job.id.slice(0, 16)}-${attempt}-${c.clock.monotonicMs().toFixed(0)}`)
      await mkdir(scratch, { recursive: true, mode: 0o700 })
      try {
        return await runAttempt(c, init, { job, attempt, signal, scratch, report })
      } finally {
        current.delete(key)
        await rm(scratch, { recursive: true, force: true }).catch(() => {})
      }
    }
  }
}
