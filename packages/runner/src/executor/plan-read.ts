/**
 * The job's steps come from the fetched commit, never from the ledger: the runner reads
 * `.devq.yml` from its mirror at the announced commit and plans it as the origin did.
 */
import { buildKey, formatIssue, PIPELINE_LIMITS, planPipeline, validatePipeline, type JobState, type PlannedJob } from '@devq/core'
import { PipelineReadError } from '../errors.ts'
import { readFileAtCommit, repoAtDir } from '../git/read.ts'

/** The file a commit's pipeline lives in. */
export const PIPELINE_FILE = '.devq.yml'

/** What a plan lookup found: the planned job, and whether its build key matches the announce. */
export interface JobPlan {
  job: PlannedJob
  /** False when the announce's cache key is not the one this commit's pipeline gives. */
  keyMatches: boolean
}

function fail (job: JobState, detail: string): PipelineReadError {
  return new PipelineReadError(`${PIPELINE_FILE} of ${job.commit.slice(0, 12)}: ${detail}`, { repo: job.repo, commit: job.commit, job: job.pipelineJob, detail })
}

/**
 * Plans `job`'s pipeline from the mirror at `gitdir` and returns its entry.
 * @throws {PipelineReadError} when the file is missing, invalid, or has no job of that id.
 */
export async function planOf (gitdir: string, job: JobState): Promise<JobPlan> {
  const repo = await repoAtDir(gitdir)
  if (repo === undefined) throw fail(job, `this peer's mirror ${gitdir} is not a git repository`)
  const text = await readFileAtCommit(repo, job.commit, PIPELINE_FILE, PIPELINE_LIMITS.maxBytes)
  if (text === undefined) throw fail(job, 'no such file in the commit')
  const checked = validatePipeline(text, { file: PIPELINE_FILE })
  if (!checked.ok) throw fail(job, checked.issues.slice(0, 5).map(formatIssue).join('; '))
  const plan = planPipeline(checked.value, { ref: job.ref, repo: job.repo })
  const planned = plan.jobs.find((j) => j.id === job.pipelineJob)
  if (planned === undefined) throw fail(job, `no job ${JSON.stringify(job.pipelineJob)} (it has ${plan.jobs.map((j) => j.id).join(', ')})`)
  const key = job.tree === undefined ? undefined : buildKey({ tree: job.tree, pipelineJob: planned.id, labels: planned.labels, env: planned.env })
  return { job: planned, keyMatches: job.cacheKey === undefined || key === job.cacheKey }
}
