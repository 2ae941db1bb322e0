/**
 * The runner's `JobExecutor`: one attempt of a pipeline job, start to finish. Fetch the exact
 * commit into this peer's mirror, read the job's steps from its `.devq.yml`, prepare a workspace,
 * place the artifacts of the jobs it needs, get its secrets from the origin, run the steps (in the
 * sandbox when the job or the runner asks for one), collect its artifacts, and report.
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { AttemptReport, JobActivity, JobState } from '@devq/core'
import { fetchSource, type FetchResult } from '../git/fetch.ts'
import { runAttempt } from './attempt.ts'
import type { ExecutorComponents, ExecutorInit, PipelineExecutor } from './types.ts'

/** Most prefetches remembered, and most running at once. */
const PREFETCH_KEEP = 256
const PREFETCH_PARALLEL = 2

/** Creates the pipeline executor. Attempts run concurrently; each has its own scratch dir. */
export function createPipelineExecutor (c: ExecutorComponents, init: ExecutorInit): PipelineExecutor {
  const current = new Map<string, JobActivity>()
  const prefetches = new Map<string, Promise<FetchResult | undefined>>()
  let inFlight = 0
  const prefetch = (job: JobState): void => {
    const key = `${job.repo}:${job.commit}`
    if (job.synthetic !== undefined || prefetches.has(key) || inFlight >= PREFETCH_PARALLEL) return
    if (prefetches.size >= PREFETCH_KEEP) prefetches.delete(prefetches.keys().next().value!)
    const peers = [job.origin, ...c.peers().filter((p) => p !== init.peerId)].filter((p, i, all) => all.indexOf(p) === i)
    inFlight++
    prefetches.set(key, (async () => {
      // Only a peer that already mirrors the repository fetches early: its pack is a small delta,
      // while a first full clone by every bidder would flood the origin's uplink for one winner.
      if ((await c.mirrors.tips(job.repo, 1)).length === 0) return undefined
      return await fetchSource({ mirrors: c.mirrors, dial: async (p) => await c.dial(p, 'git'), logger: c.logger }, { repo: job.repo, commit: job.commit, peers })
    })().catch(() => undefined).finally(() => { inFlight-- }))
  }
  return {
    activity: () => [...current.values()],
    prefetch,
    async run (job: JobState, attempt: number, signal: AbortSignal): Promise<AttemptReport> {
      const key = `${job.id}:${attempt}`
      const report = (a: Omit<JobActivity, 'job' | 'attempt'>): void => { current.set(key, { job: job.id, attempt, ...a }) }
      report({ phase: 'fetching' })
      const scratch = join(init.scratchDir, `${job.id.slice(0, 16)}-${attempt}-${c.clock.monotonicMs().toFixed(0)}`)
      await mkdir(scratch, { recursive: true, mode: 0o700 })
      // Taken once: a later job of the same commit moved no bytes of its own.
      const prefetched = prefetches.get(`${job.repo}:${job.commit}`)
      prefetches.delete(`${job.repo}:${job.commit}`)
      try {
        return await runAttempt(c, init, { job, attempt, signal, scratch, report, ...(prefetched === undefined ? {} : { prefetched }) })
      } finally {
        current.delete(key)
        await rm(scratch, { recursive: true, force: true }).catch(() => {})
      }
    }
  }
}
