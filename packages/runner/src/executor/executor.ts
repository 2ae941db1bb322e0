/**
 * The runner's `JobExecutor`: one attempt of a pipeline job, start to finish. Fetch the exact
 * commit into this peer's mirror, read the job's steps from its `.devq.yml`, prepare a workspace,
 * place the artifacts of the jobs it needs, get its secrets from the origin, run the steps (in the
 * sandbox when the job or the runner asks for one), collect its artifacts, and report.
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { AttemptReport, JobActivity, JobState } from '@devq/core'
import { fetchSource } from '../git/fetch.ts'
import { runAttempt, sourcePeers } from './attempt.ts'
import { createPrefetcher } from './prefetch.ts'
import type { ExecutorComponents, ExecutorInit, PipelineExecutor } from './types.ts'

/** Creates the pipeline executor. Attempts run concurrently; each has its own scratch dir. */
export function createPipelineExecutor (c: ExecutorComponents, init: ExecutorInit): PipelineExecutor {
  const current = new Map<string, JobActivity>()
  const early = createPrefetcher({
    mirrors: c.mirrors,
    clock: c.clock,
    fetch: async (job, limits) => await fetchSource({ mirrors: c.mirrors, dial: async (p) => await c.dial(p, 'git'), logger: c.logger }, {
      repo: job.repo, commit: job.commit, peers: sourcePeers(c, init, job), pinsOnly: true, ...limits, ...(init.transferIdleMs === undefined ? {} : { idleMs: init.transferIdleMs })
    })
  })
  return {
    activity: () => [...current.values()],
    prefetch: (job) => { void early.start(job) },
    async run (job: JobState, attempt: number, signal: AbortSignal, started?: Promise<void>): Promise<AttemptReport> {
      const key = `${job.id}:${attempt}`
      const report = (a: Omit<JobActivity, 'job' | 'attempt'>): void => { current.set(key, { job: job.id, attempt, ...a }) }
      report({ phase: 'fetching' })
      const scratch = join(init.scratchDir, `${job.id.slice(0, 16)}-${attempt}-${c.clock.monotonicMs().toFixed(0)}`)
      await mkdir(scratch, { recursive: true, mode: 0o700 })
      const prefetched = early.take(job)
      try {
        return await runAttempt(c, init, { job, attempt, signal, scratch, report, ...(prefetched === undefined ? {} : { prefetched }), ...(started === undefined ? {} : { started }) })
      } finally {
        current.delete(key)
        await rm(scratch, { recursive: true, force: true }).catch(() => {})
      }
    }
  }
}
