/**
 * Read views of the control API for the `devq` CLI (and any other client): id resolution by
 * prefix, the status view with peers and the estimated queue, job and run lists with filters, and
 * one job or run in full. Every answer is in the shape `cli-schemas.ts` defines. Also registers
 * the run-wide actions (api-run-actions.ts) and the pull with progress (api-pull-stream.ts).
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { EventId, jobStatuses, RunId, type JobState, type Logger } from '@devq/core'
import type { DevqNode } from './node.ts'
import { ApiRequestError } from './errors.ts'
import { parseRequest } from './api-schemas.ts'
import { runActionRoutes } from './api-run-actions.ts'
import { pullStreamRoute } from './api-pull-stream.ts'
import { statusView } from './view-status.ts'
import { jobLine, jobMatches, showJob } from './view-jobs.ts'
import { createCommitReader, runLine, runsOf, runStatus, showRun, type CommitReader } from './view-runs.ts'

/** Most matches a resolve lists (it says how many there were in all). */
const MAX_MATCHES = 20

export const ResolveQuery = z.strictObject({ q: z.string().min(1).max(200) })
const StatusList = z.string().max(200).transform((s) => s.split(',').filter((x) => x !== '')).pipe(z.array(z.enum(jobStatuses as [string, ...string[]])))
export const JobsViewQuery = z.strictObject({
  mine: z.enum(['0', '1', 'true', 'false']).optional(),
  repo: z.string().min(1).max(128).optional(),
  status: StatusList.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(50)
})
export const RunsViewQuery = z.strictObject({ repo: z.string().min(1).max(128).optional(), limit: z.coerce.number().int().min(1).max(1000).default(20) })

/** A job or run an id prefix (or a pipeline job name) names. */
export interface Match { kind: 'job' | 'run', id: string, pipelineJob?: string, repo: string, ref: string, status: string, announcedAt: number }

const jobMatch = (j: JobState): Match => ({ kind: 'job', id: j.id, pipelineJob: j.pipelineJob, repo: j.repo, ref: j.ref, status: j.status, announcedAt: j.announcedAt })

/**
 * What `q` names: a full job or run id; every job and run whose id starts with `q` (4 or more hex
 * digits); else the most recently announced job of that pipeline job name. A shorter hex string
 * that is no pipeline job's name is a 400: too short to be a prefix, so it names nothing.
 */
function resolve (node: DevqNode, q: string): { matches: Match[], total: number } {
  const jobs = [...node.fold.jobs()]
  const found: Match[] = []
  if (/^[0-9a-f]{4,64}$/.test(q)) {
    for (const j of jobs) if (j.id.startsWith(q)) found.push(jobMatch(j))
    if (q.length <= 32) {
      for (const [run, list] of runsOf(jobs)) {
        if (!run.startsWith(q)) continue
        found.push({ kind: 'run', id: run, repo: list[0]!.repo, ref: list[0]!.ref, status: runStatus(list), announcedAt: list[0]!.announcedAt })
      }
    }
  }
  if (found.length === 0) {
    const named = jobs.filter((j) => j.pipelineJob === q).sort((a, b) => b.announceLamport - a.announceLamport)[0]
    if (named !== undefined) found.push(jobMatch(named))
    else if (/^[0-9a-f]{1,3}$/.test(q)) throw new ApiRequestError(`${JSON.stringify(q)} is not a job or run id, nor a pipeline job's name: an id is 64 hex digits (give at least the first 4), as devq jobs and devq runs list them`, { status: 400, detail: 'query', field: 'q' })
  }
  found.sort((a, b) => b.announcedAt - a.announcedAt)
  return { matches: found.slice(0, MAX_MATCHES), total: found.length }
}

function jobOr404 (node: DevqNode, id: string): JobState {
  const job = node.fold.job(id)
  if (job === undefined) throw new ApiRequestError(`no job ${id}`, { status: 404, detail: 'unknown job' })
  return job
}

function runJobsOr404 (node: DevqNode, run: string): JobState[] {
  const jobs = [...node.fold.jobs()].filter((j) => j.run === run).sort((a, b) => a.announceLamport - b.announceLamport)
  if (jobs.length === 0) throw new ApiRequestError(`no run ${run}`, { status: 404, detail: 'unknown run' })
  return jobs
}

function listRoutes (app: FastifyInstance, node: DevqNode, commits: CommitReader): void {
  app.get('/v1/views/jobs', async (req) => {
    const q = parseRequest(JobsViewQuery, req.query, 'query')
    const filter = { mine: q.mine === '1' || q.mine === 'true', ...(q.repo === undefined ? {} : { repo: q.repo }), ...(q.status === undefined ? {} : { statuses: q.status }) }
    const now = Date.now()
    const jobs = [...node.fold.jobs()].filter((j) => jobMatches(node, j, filter)).sort((a, b) => b.announceLamport - a.announceLamport).slice(0, q.limit)
    return { jobs: jobs.map((j) => jobLine(node, j, now)) }
  })
  app.get('/v1/views/runs', async (req) => {
    const q = parseRequest(RunsViewQuery, req.query, 'query')
    const picked = [...runsOf(node.fold.jobs())].filter(([, jobs]) => q.repo === undefined || jobMatches(node, jobs[0]!, { repo: q.repo })).slice(0, q.limit)
    return { runs: await Promise.all(picked.map(async ([run, jobs]) => await runLine(node, commits, run, jobs))) }
  })
}

/** Registers the read views and the routes they come with. */
export function viewRoutes (app: FastifyInstance, node: DevqNode, logger: Logger): void {
  const commits = createCommitReader()
  app.get('/v1/resolve', async (req) => {
    const { q } = parseRequest(ResolveQuery, req.query, 'query')
    return { query: q, ...resolve(node, q.trim()) }
  })
  app.get('/v1/views/status', async () => statusView(node))
  listRoutes(app, node, commits)
  app.get('/v1/views/jobs/:id', async (req) => {
    return await showJob(node, jobOr404(node, parseRequest(z.strictObject({ id: EventId }), req.params, 'path').id))
  })
  app.get('/v1/views/runs/:run', async (req) => {
    const { run } = parseRequest(z.strictObject({ run: RunId }), req.params, 'path')
    return await showRun(node, commits, run, runJobsOr404(node, run))
  })
  runActionRoutes(app, node)
  pullStreamRoute(app, node, logger)
}
