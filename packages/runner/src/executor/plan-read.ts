/**
 * The job's steps come from the fetched commit, never from the ledger: the runner reads
 * `.devq.yml` from its mirror at the announced commit and plans it as the origin did.
 */
import { formatIssue, PIPELINE_LIMITS, plannedJobKey, planPipeline, validatePipeline, type JobState, type PlannedJob } from '@devq/core'
import { PipelineReadError } from '../errors.ts'
import { readFileAtCommit, repoAtDir, resolveCommit } from '../git/read.ts'

/** The file a commit's pipeline lives in. */
export const PIPELINE_FILE = '.devq.yml'

/** What a plan lookup found: the planned job and its build-avoidance key. */
export interface JobPlan {
  job: PlannedJob
  key: string
}

function fail (job: JobState, detail: string): PipelineReadError {
  return new PipelineReadError(`${PIPELINE_FILE} of ${job.commit.slice(0, 12)}: ${detail}`, { repo: job.repo, commit: job.commit, job: job.pipelineJob, detail })
}

/**
 * Plans `job`'s pipeline from the mirror at `gitdir` and returns its entry. The announce's tree and
 * build key must be the commit's own: a result is later reused for every job with that key, so a
 * forged announce would otherwise pass off this build as the result of another tree.
 * @throws {PipelineReadError} when the file is missing, invalid, has no job of that id, or the
 *   announced tree or key is not the one the commit gives.
 */
export async function planOf (gitdir: string, job: JobState): Promise<JobPlan> {
  const repo = await repoAtDir(gitdir)
  if (repo === undefined) throw fail(job, `this peer's mirror ${gitdir} is not a git repository`)
  const { tree } = await resolveCommit(repo, job.commit)
  if (job.tree !== undefined && job.tree !== tree) throw fail(job, `the announce names tree ${job.tree.slice(0, 12)}, but the commit's tree is ${tree.slice(0, 12)}`)
  const text = await readFileAtCommit(repo, job.commit, PIPELINE_FILE, PIPELINE_LIMITS.maxBytes)
  if (text === undefined) throw fail(job, 'no such file in the commit')
  const checked = validatePipeline(text, { file: PIPELINE_FILE })
  if (!checked.ok) throw fail(job, checked.issues.slice(0, 5).map(formatIssue).join('; '))
  const plan = planPipeline(checked.value, { ref: job.ref, repo: job.repo })
  const planned = plan.jobs.find((j) => j.id === job.pipelineJob)
  if (planned === undefined) throw fail(job, `no job ${JSON.stringify(job.pipelineJob)} (it has ${plan.jobs.map((j) => j.id).join(', ')})`)
  const key = plannedJobKey(tree, planned)
  if (job.cacheKey !== undefined && job.cacheKey !== key) throw fail(job, 'the announced build key is not the one this commit\'s pipeline gives (a peer with another DevQ version plans it otherwise, or the announce was forged)')
  return { job: planned, key }
}
