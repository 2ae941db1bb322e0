/**
 * Jobs as the CLI shows them: one line per job, and everything `devq show` tells of one (its
 * attempts, artifacts and provenance). Read-only views of the fold plus what this peer knows
 * locally (where a repository lives, the pipeline at a commit it holds).
 */
import { basename } from 'node:path'
import type { JobState } from '@devq/core'
import { planOf, repoAtDir } from '@devq/runner'
import type { DevqNode } from './node.ts'
import type { AttemptRow, JobLine, Provenance, ShowJobOutput } from './cli-schemas.ts'

/** The directory name of a repository this peer knows the path of; a synthetic job's repo is its own name. */
export function repoNameOf (node: DevqNode, repo: string): string | undefined {
  const path = node.repos.pathOf(repo)
  if (path !== undefined) return basename(path)
  return /^[0-9a-f]{64}$/.test(repo) ? undefined : repo
}

const current = (job: JobState): JobState['attempts'][number] | undefined => job.attempts.find((a) => a.n === job.attempt)

/**
 * Whether the job succeeded on an attempt after an earlier attempt of it failed: it passed on a
 * retry, so its result may not hold next time. An attempt lost with its runner, or cancelled,
 * says nothing of the build and does not count.
 */
export function isFlaky (job: JobState): boolean {
  const won = job.status === 'succeeded' ? job.result?.attempt : undefined
  return won !== undefined && job.attempts.some((a) => a.n < won && a.outcome === 'failed')
}

/** One job as `devq jobs` lists it; `now` is this peer's wall ms. */
export function jobLine (node: DevqNode, job: JobState, now = Date.now()): JobLine {
  const attempt = current(job)
  const name = repoNameOf(node, job.repo)
  const end = attempt?.finishedAt ?? (job.status === 'running' ? now : undefined)
  return {
    id: job.id,
    repo: job.repo,
    ...(name === undefined ? {} : { repoName: name }),
    ref: job.ref,
    commit: job.commit,
    ...(job.run === undefined ? {} : { run: job.run }),
    pipelineJob: job.pipelineJob,
    status: job.status,
    attempt: job.attempt,
    ...(attempt === undefined ? {} : { runner: attempt.runner }),
    origin: job.origin,
    mine: job.origin === node.peerId,
    flaky: isFlaky(job),
    announcedAt: job.announcedAt,
    ...(attempt?.startedAt === undefined ? {} : { startedAt: attempt.startedAt }),
    ...(attempt?.finishedAt === undefined ? {} : { finishedAt: attempt.finishedAt }),
    ...(attempt?.startedAt === undefined || end === undefined ? {} : { durationMs: Math.max(0, end - attempt.startedAt) })
  }
}

/** What `devq jobs` may filter on; all optional, all must hold. */
export interface JobFilter {
  mine?: boolean
  /** A repo id prefix (4 or more hex digits) or a repository's directory name. */
  repo?: string
  statuses?: readonly string[]
}

/** Whether `job` passes `filter`. */
export function jobMatches (node: DevqNode, job: JobState, filter: JobFilter): boolean {
  if (filter.mine === true && job.origin !== node.peerId) return false
  if (filter.statuses !== undefined && filter.statuses.length > 0 && !filter.statuses.includes(job.status)) return false
  if (filter.repo !== undefined) {
    const byId = /^[0-9a-f]{4,64}$/.test(filter.repo) && job.repo.startsWith(filter.repo)
    if (!byId && repoNameOf(node, job.repo) !== filter.repo) return false
  }
  return true
}

function attemptRow (a: JobState['attempts'][number]): AttemptRow {
  return {
    n: a.n, runner: a.runner, awardedBy: a.awardedBy, awardedAt: a.awardedAt,
    ...(a.startedAt === undefined ? {} : { startedAt: a.startedAt }),
    ...(a.finishedAt === undefined ? {} : { finishedAt: a.finishedAt }),
    ...(a.startedAt === undefined || a.finishedAt === undefined ? {} : { durationMs: Math.max(0, a.finishedAt - a.startedAt) }),
    ...(a.outcome === undefined ? {} : { outcome: a.outcome }),
    ...(a.failure === undefined ? {} : { failure: a.failure }),
    ...(a.exitCode === undefined ? {} : { exitCode: a.exitCode }),
    ...(a.reason === undefined ? {} : { reason: a.reason })
  }
}

/**
 * The gitdir of a repository this peer holds the commits of: the developer's own (read only) or
 * its mirror. Undefined when it has neither.
 */
async function gitdirOf (node: DevqNode, repo: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{64}$/.test(repo)) return undefined
  const own = node.repos.pathOf(repo)
  const found = own === undefined ? undefined : await repoAtDir(own).catch(() => undefined)
  if (found !== undefined) return found.gitdir
  const mirror = await repoAtDir(node.runner.mirrors.pathOf(repo)).catch(() => undefined)
  return mirror?.gitdir
}

/** The job's env names and secret names from the commit's `.devq.yml`, when this peer can read it. */
async function declaredInputs (node: DevqNode, job: JobState): Promise<{ envKeys?: string[], secrets?: string[] }> {
  if (job.synthetic !== undefined) return {}
  const gitdir = await gitdirOf(node, job.repo)
  if (gitdir === undefined) return {}
  try {
    const { job: planned } = await planOf(gitdir, job)
    return { envKeys: Object.keys(planned.env).sort(), secrets: [...planned.secrets].sort() }
  } catch {
    // The commit is not here, or its pipeline does not plan to this job: leave the inputs out.
    return {}
  }
}

async function provenanceOf (node: DevqNode, job: JobState): Promise<Provenance> {
  const r = job.result
  return {
    origin: job.origin, repo: job.repo, ref: job.ref, commit: job.commit,
    ...(job.tree === undefined ? {} : { tree: job.tree }),
    ...(job.run === undefined ? {} : { run: job.run }),
    ...(r === undefined ? {} : { runner: r.by, logDigest: r.logDigest }),
    ...(job.cacheKey === undefined ? {} : { cacheKey: job.cacheKey }),
    ...(r?.cachedFrom === undefined ? {} : { cachedFrom: r.cachedFrom }),
    inputs: {
      pipelineJob: job.pipelineJob, labels: job.labels, priority: job.priority, timeoutMs: job.timeoutMs,
      retry: { max: job.retry.max, when: [...job.retry.when] }, sensitive: job.sensitive,
      ...(job.workspace === undefined ? {} : { workspace: job.workspace }),
      ...(job.synthetic === undefined ? {} : { synthetic: job.synthetic }),
      ...await declaredInputs(node, job)
    }
  }
}

/** The jobs a job needs, with where each stands. */
export function needsOf (node: DevqNode, job: JobState): ShowJobOutput['needs'] {
  return job.needs.map((n) => {
    const status = n.job === undefined ? undefined : node.fold.job(n.job)?.status
    return { pipelineJob: n.pipelineJob, ...(n.job === undefined ? {} : { job: n.job }), ...(status === undefined ? {} : { status }) }
  })
}

/** Everything `devq show <job>` prints. */
export async function showJob (node: DevqNode, job: JobState): Promise<ShowJobOutput> {
  return {
    kind: 'job',
    job: {
      ...jobLine(node, job),
      ...(job.cancelReason === undefined ? {} : { cancelReason: job.cancelReason }),
      ...(job.skippedBecause === undefined ? {} : { skippedBecause: job.skippedBecause }),
      ...(job.supersededBy === undefined ? {} : { supersededBy: job.supersededBy })
    },
    needs: needsOf(node, job),
    attempts: job.attempts.map(attemptRow),
    artifacts: (job.result?.artifacts ?? []).map((a) => ({ name: a.name, kind: a.kind, ...(a.file === undefined ? {} : { file: a.file }), size: a.size, digest: a.digest })),
    provenance: await provenanceOf(node, job)
  }
}
