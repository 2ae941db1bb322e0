/**
 * Announcing a run: one commit's pipeline. The node reads `.devq.yml` from the commit's tree
 * (never the working tree), plans it with core's planner, and announces every job of the run in
 * one ledger write, needs before the jobs that need them.
 */
import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  formatIssue, plannedJobKey, PIPELINE_LIMITS, planPipeline, starterPipeline, validatePipeline,
  type BodyOf, type DecodedEvent, type PipelineFile, type PlannedJob, type Priority
} from '@devq/core'
import { findRepo, listTopLevel, readFileAtCommit, repoIdOf, resolveCommit, rootCommits, type GitRepo } from '@devq/runner'
import { RunError } from './errors.ts'

/** The pipeline file DevQ reads at the root of a commit. */
export const PIPELINE_FILE = '.devq.yml'

/** What `devq run` asks for. */
export interface RunRequest {
  /** A directory inside the repository. */
  dir: string
  /** Commit to build (full or short sha, branch, tag); default HEAD. */
  sha?: string
  /** Ref to announce; default the branch HEAD is on (or the rev given); `''` announces it detached. */
  ref?: string
  /** Only these jobs (a job id under `jobs:` selects all its matrix combinations), with what they need. */
  jobs?: string[]
  /** Overrides every job's priority. */
  priority?: Priority
}

/** An announced run. */
export interface AnnouncedRun {
  run: string
  repo: string
  dir: string
  commit: string
  tree: string
  ref: string
  jobs: { id: string, pipelineJob: string, needs: string[] }[]
}

/** What announcing needs from the node. */
export interface RunDeps {
  append: <T extends 'job.announced'>(type: T, body: BodyOf<T>) => Promise<DecodedEvent>
  /** Where peers may fetch this peer's source (its mesh addresses). */
  addresses: () => string[]
  /** Records where the repository lives, so this peer can serve it later. */
  remember: (repo: string, path: string) => Promise<void>
}

async function openRepo (dir: string): Promise<GitRepo> {
  try {
    return await findRepo(dir)
  } catch (err) {
    throw new RunError(`${dir} is not in a git repository (devq run builds a commit: run it inside a clone, or pass --repo DIR)`, { reason: 'not_a_repository', detail: (err as Error).message }, { cause: err })
  }
}

/** Reads and validates `.devq.yml` at the commit; a missing file comes with a starter to commit. */
async function pipelineAt (repo: GitRepo, commit: string): Promise<PipelineFile> {
  const text = await readFileAtCommit(repo, commit, PIPELINE_FILE, PIPELINE_LIMITS.maxBytes)
  if (text === undefined) {
    const { buildSystem, text: starter } = starterPipeline(await listTopLevel(repo, commit))
    const uncommitted = !repo.bare && await stat(join(repo.dir, PIPELINE_FILE)).then((st) => st.isFile(), () => false)
    const hint = uncommitted ? ` The ${PIPELINE_FILE} in ${repo.dir} is not in that commit yet: git add ${PIPELINE_FILE} && git commit, then run again.` : ''
    throw new RunError(`no ${PIPELINE_FILE} in commit ${commit.slice(0, 12)} (DevQ reads it from the commit, not the working tree).${hint} A starter for this ${buildSystem} project; save it as ${PIPELINE_FILE} and commit it:\n\n${starter}`, { reason: 'no_pipeline', detail: `no ${PIPELINE_FILE} at ${commit}`, starter })
  }
  const checked = validatePipeline(text, { file: PIPELINE_FILE })
  if (!checked.ok) throw new RunError(checked.issues.slice(0, 20).map(formatIssue).join('\n'), { reason: 'bad_pipeline', detail: formatIssue(checked.issues[0]!) })
  return checked.value
}

/** The jobs `wanted` names, with everything they need, in plan order. */
export function selectJobs (jobs: readonly PlannedJob[], wanted: readonly string[] | undefined): PlannedJob[] {
  if (wanted === undefined || wanted.length === 0) return [...jobs]
  const byId = new Map(jobs.map((j) => [j.id, j]))
  const picked = new Set<string>()
  const visit = (id: string): void => {
    if (picked.has(id)) return
    picked.add(id)
    for (const need of byId.get(id)?.needs ?? []) visit(need)
  }
  for (const name of wanted) {
    const matching = jobs.filter((j) => j.id === name || j.job === name)
    if (matching.length === 0) {
      throw new RunError(`no job ${JSON.stringify(name)} in ${PIPELINE_FILE}; jobs: ${[...new Set(jobs.map((j) => j.job))].join(', ')}`, { reason: 'unknown_job', detail: name })
    }
    for (const j of matching) visit(j.id)
  }
  return jobs.filter((j) => picked.has(j.id))
}

/** Orders jobs so that each comes after what it needs (stable: file order otherwise). */
export function needsFirst (jobs: readonly PlannedJob[]): PlannedJob[] {
  const byId = new Map(jobs.map((j) => [j.id, j]))
  const out: PlannedJob[] = []
  const done = new Set<string>()
  const visit = (job: PlannedJob): void => {
    if (done.has(job.id)) return
    done.add(job.id)
    for (const need of job.needs) {
      const n = byId.get(need)
      if (n !== undefined) visit(n)
    }
    out.push(job)
  }
  for (const job of jobs) visit(job)
  return out
}

function announceBody (job: PlannedJob, ctx: { repo: string, ref: string, commit: string, tree: string, run: string, priority?: Priority, addrs: string[] }): BodyOf<'job.announced'> {
  return {
    repo: ctx.repo,
    ref: ctx.ref,
    commit: ctx.commit,
    tree: ctx.tree,
    pipelineJob: job.id,
    run: ctx.run,
    ...(job.needs.length > 0 ? { needs: job.needs } : {}),
    priority: ctx.priority ?? job.priority,
    labels: job.labels,
    ...(job.group === undefined ? {} : { group: job.group }),
    retry: job.retry,
    timeoutMs: job.timeoutMs,
    cache: job.cache,
    cacheKey: plannedJobKey(ctx.tree, job),
    sensitive: job.sensitive,
    workspace: job.workspace,
    source: { addrs: ctx.addrs.slice(0, 16) }
  }
}

/** A commit's run as planned, before anything is written: what `writeRun` announces. */
export interface PlannedRun {
  repo: GitRepo
  repoId: string
  commit: string
  tree: string
  ref: string
  /** The selected jobs, needs first. */
  jobs: PlannedJob[]
}

/**
 * Reads and plans the run of one commit without writing anything. Throws RunError (not a
 * repository, no commit, no pipeline with a starter, a located pipeline error, an unknown job).
 */
export async function planRun (req: RunRequest): Promise<PlannedRun> {
  const repo = await openRepo(req.dir)
  let resolved: Awaited<ReturnType<typeof resolveCommit>>
  try {
    resolved = await resolveCommit(repo, req.sha ?? 'HEAD')
  } catch (err) {
    throw new RunError(`no commit ${req.sha ?? 'HEAD'} in ${repo.dir}: ${(err as Error).message}`, { reason: 'no_commit', detail: req.sha ?? 'HEAD' }, { cause: err })
  }
  const { commit, tree } = resolved
  const ref = req.ref ?? resolved.ref
  const repoId = repoIdOf(await rootCommits(repo, commit))
  const file = await pipelineAt(repo, commit)
  const plan = planPipeline(file, { ref, repo: repoId })
  const jobs = needsFirst(selectJobs(plan.jobs, req.jobs))
  if (jobs.length > PIPELINE_LIMITS.maxPlannedJobs) throw new RunError(`the run has ${jobs.length} jobs; at most ${PIPELINE_LIMITS.maxPlannedJobs}`, { reason: 'too_many_jobs', detail: String(jobs.length) })
  return { repo, repoId, commit, tree, ref, jobs }
}

/** Announces a planned run: every job in one ledger write, needs first, under a new run id. */
export async function writeRun (deps: RunDeps, planned: PlannedRun, priority?: Priority): Promise<AnnouncedRun> {
  const { repo, repoId, commit, tree, ref, jobs } = planned
  await deps.remember(repoId, repo.dir)
  const run = randomBytes(16).toString('hex')
  const ctx = { repo: repoId, ref, commit, tree, run, addrs: deps.addresses(), ...(priority === undefined ? {} : { priority }) }
  // Appended together, the announces share one ledger write, in this order (needs first).
  const events = await Promise.all(jobs.map(async (job) => await deps.append('job.announced', announceBody(job, ctx))))
  return {
    run, repo: repoId, dir: repo.dir, commit, tree, ref,
    jobs: jobs.map((job, i) => ({ id: events[i]!.id, pipelineJob: job.id, needs: job.needs }))
  }
}

/**
 * Announces the run of one commit. Throws RunError (not a repository, no commit, no pipeline with
 * a starter, a located pipeline error, an unknown job) before anything is written.
 */
export async function announceRun (deps: RunDeps, req: RunRequest): Promise<AnnouncedRun> {
  return await writeRun(deps, await planRun(req), req.priority)
}
