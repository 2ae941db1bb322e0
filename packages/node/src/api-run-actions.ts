/**
 * Actions on a whole run: retry and cancel every job of it they apply to.
 *
 * - Retry of a run: every `failed` and `cancelled` job (with `only: 'failed'`, the failed ones
 *   alone). Jobs `skipped` because one of those did not succeed are not retried themselves: they
 *   wait again as soon as the jobs they need are retried, and run when those succeed.
 *   `superseded` jobs stay as they are (a newer commit took their place).
 * - Cancel of a run: every job not yet ended. Jobs under way or queued are cancelled; jobs still
 *   waiting for those end as skipped (and so come back with a retry of the run).
 * The ledger's fold judges each request like a single job's: only the origin or an admin counts.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { RunId, terminalStatuses, type JobState } from '@devq/core'
import type { DevqNode } from './node.ts'
import { ApiRequestError } from './errors.ts'
import { parseRequest } from './api-schemas.ts'
import { ensureMayControl } from './control.ts'
import type { ActionOutput } from './cli-schemas.ts'

const RunParams = z.strictObject({ run: RunId })
export const RetryRunRequest = z.strictObject({ only: z.literal('failed').optional() })
export const CancelRunRequest = z.strictObject({ reason: z.string().max(256).optional() })

function runJobs (node: DevqNode, run: string): JobState[] {
  const jobs = [...node.fold.jobs()].filter((j) => j.run === run).sort((a, b) => a.announceLamport - b.announceLamport)
  if (jobs.length === 0) throw new ApiRequestError(`no run ${run}`, { status: 404, detail: 'unknown run' })
  return jobs
}

/** The run's jobs, after checking this peer may act on them (one origin announces a whole run). */
function controlledRunJobs (node: DevqNode, run: string, verb: string): JobState[] {
  const jobs = runJobs(node, run)
  for (const j of jobs) ensureMayControl(node, j, verb)
  return jobs
}

/** Why a run-wide retry leaves `job` alone, or undefined when it retries it. */
function retryExclusion (job: JobState, onlyFailed: boolean): string | undefined {
  if (job.status === 'failed') return undefined
  if (job.status === 'cancelled') return onlyFailed ? 'cancelled (only failed jobs are retried with --failed)' : undefined
  if (job.status === 'skipped') return 'skipped: it waits again once the jobs it needs are retried'
  return `${job.status}: nothing to retry`
}

const brief = (j: JobState): ActionOutput['jobs'][number] => ({ id: j.id, pipelineJob: j.pipelineJob, status: j.status, priority: j.priority })

async function requestRetries (node: DevqNode, jobs: readonly JobState[]): Promise<void> {
  await Promise.all(jobs.map(async (j) => await node.ledger.append(node.signer, 'job.retry_requested', { job: j.id })))
}

/**
 * Retries the run's jobs that qualify, in rounds (one ledger write each): a job cancelled while it
 * waited shows as skipped until the job it needs is retried, and only then as cancelled, so each
 * round takes what the last one revealed (at most one round per job). 404 for an unknown run.
 */
async function retryRun (node: DevqNode, run: string, onlyFailed: boolean): Promise<ActionOutput> {
  const retried = new Set<string>()
  const before = new Map(controlledRunJobs(node, run, 'retry').map((j) => [j.id, j]))
  const rounds = before.size
  for (let round = 0; round < rounds; round++) {
    const picked = runJobs(node, run).filter((j) => !retried.has(j.id) && retryExclusion(j, onlyFailed) === undefined)
    if (picked.length === 0) break
    await requestRetries(node, picked)
    for (const j of picked) retried.add(j.id)
  }
  const now = runJobs(node, run)
  return {
    action: 'retry',
    target: { kind: 'run', id: run },
    jobs: now.filter((j) => retried.has(j.id)).map(brief),
    untouched: now.filter((j) => !retried.has(j.id)).map((j) => ({ id: j.id, pipelineJob: j.pipelineJob, status: j.status, why: retryExclusion(before.get(j.id) ?? j, onlyFailed) ?? 'nothing to retry' }))
  }
}

/**
 * Cancels every job of the run under way or queued. A job still waiting for one of those is not
 * cancelled itself: it ends as skipped once the job it needs is cancelled, and waits again when
 * that job is retried (a cancel of its own would outlast the retry).
 */
async function cancelRun (node: DevqNode, run: string, reason: string | undefined): Promise<ActionOutput> {
  const jobs = controlledRunJobs(node, run, 'cancel')
  const picked = jobs.filter((j) => !terminalStatuses.has(j.status) && j.status !== 'waiting')
  await Promise.all(picked.map(async (j) => await node.ledger.append(node.signer, 'job.cancel_requested', { job: j.id, ...(reason === undefined ? {} : { reason }) })))
  const ids = new Set(picked.map((j) => j.id))
  const now = runJobs(node, run)
  const why = (j: JobState, before: JobState): string => before.status === 'waiting' ? `${j.status}: it was waiting for a job cancelled here` : `already ${before.status}`
  return {
    action: 'cancel',
    target: { kind: 'run', id: run },
    jobs: now.filter((j) => ids.has(j.id)).map(brief),
    untouched: now.filter((j) => !ids.has(j.id)).map((j) => ({ id: j.id, pipelineJob: j.pipelineJob, status: j.status, why: why(j, jobs.find((x) => x.id === j.id)!) }))
  }
}

/** Registers `POST /v1/runs/:run/retry` `{only?: 'failed'}` and `POST /v1/runs/:run/cancel` `{reason?}`. */
export function runActionRoutes (app: FastifyInstance, node: DevqNode): void {
  app.post('/v1/runs/:run/retry', async (req) => {
    const { run } = parseRequest(RunParams, req.params, 'path')
    return await retryRun(node, run, parseRequest(RetryRunRequest, req.body, 'body').only === 'failed')
  })
  app.post('/v1/runs/:run/cancel', async (req) => {
    const { run } = parseRequest(RunParams, req.params, 'path')
    return await cancelRun(node, run, parseRequest(CancelRunRequest, req.body, 'body').reason)
  })
}
