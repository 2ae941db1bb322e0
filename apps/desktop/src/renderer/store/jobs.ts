/** Jobs as lists show them, updated live from `job.changed`, and the details of opened jobs. */
import type { StateCreator } from 'zustand'
import type { JobLine, JobSummary } from '../api/types.ts'
import type { DevqState, JobsSlice, JobEntry } from './state.ts'



/** The line of `job` after a stream summary: what the summary says wins, the rest is kept. */
export function mergeJob (line: JobEntry | undefined, job: JobSummary, selfId: string | undefined): JobEntry {
  const next: JobEntry = {
    ...line,
    id: job.id,
    repo: job.repo,
    ref: job.ref,
    commit: job.commit,
    pipelineJob: job.pipelineJob,
    status: job.status,
    attempt: job.attempt,
    origin: job.origin,
    mine: line?.mine ?? (selfId !== undefined && job.origin === selfId),
    announcedAt: job.announcedAt,
    priority: job.priority,
    flaky: line?.flaky ?? false
  }
  if (job.run !== undefined) next.run = job.run
  if (job.runner === undefined) delete next.runner
  else next.runner = job.runner
  if (job.startedAt === undefined) delete next.startedAt
  else next.startedAt = job.startedAt
  if (job.finishedAt === undefined) delete next.finishedAt
  else next.finishedAt = job.finishedAt
  if (job.failure === undefined) delete next.failure
  else next.failure = job.failure
  if (job.startedAt !== undefined && job.finishedAt !== undefined) next.durationMs = Math.max(0, job.finishedAt - job.startedAt)
  return next
}

/** What the stream keeps current on a job line: a detail read earlier but answered later must not take it back. */
const LIVE = ['status', 'attempt', 'runner', 'startedAt', 'finishedAt', 'durationMs', 'priority', 'failure'] as const

/** `line` (from a GET) under what the store already has live for the job. */
function withLive (live: JobEntry | undefined, line: JobLine): JobEntry {
  if (live === undefined) return line
  const next: JobEntry = { ...live, ...line }
  for (const k of LIVE) {
    if (live[k] === undefined) delete next[k]
    else (next as unknown as Record<string, unknown>)[k] = live[k]
  }
  return next
}

export const createJobsSlice: StateCreator<DevqState, [], [], JobsSlice> = (set) => ({
  jobs: {},
  details: {},
  jobsLoaded: (lines) => {
    set((s) => {
      const jobs = { ...s.jobs }
      for (const l of lines) jobs[l.id] = { ...jobs[l.id], ...l }
      return { jobs }
    })
  },
  jobChanged: (job) => {
    set((s) => ({ jobs: { ...s.jobs, [job.id]: mergeJob(s.jobs[job.id], job, s.selfId) } }))
  },
  jobRemoved: (id) => {
    set((s) => {
      const { [id]: _gone, ...jobs } = s.jobs
      return { jobs }
    })
  },
  detailLoaded: (detail) => {
    set((s) => ({ details: { ...s.details, [detail.job.id]: detail }, jobs: { ...s.jobs, [detail.job.id]: withLive(s.jobs[detail.job.id], detail.job) } }))
  }
})

/** Job ids newest first. */
export function newestFirst (jobs: Record<string, JobEntry>): JobEntry[] {
  return Object.values(jobs).sort((a, b) => b.announcedAt - a.announcedAt || a.id.localeCompare(b.id))
}
