/**
 * `devq retry`, `devq cancel` and `devq priority`: on one job, or (retry, cancel) on every job of
 * a run it applies to (the node decides which; see api-run-actions.ts).
 */
import type { Command } from 'commander'
import { z } from 'zod'
import { Priority } from '@devq/core'
import { connectApi, type ApiClient } from './client.ts'
import { CliUsageError } from './errors.ts'
import { ActionOutput } from './cli-schemas.ts'
import { printJson, printLines, shaped } from './cli-output.ts'
import { resolveTarget, type Target } from './cli-resolve.ts'
import { colorWanted, columns, createStyle, shortId, type Style } from './cli-style.ts'

type DataDirOf = (o: { dataDir?: string }) => string
type Action = ActionOutput['action']

const JobBrief = z.object({ id: z.string(), pipelineJob: z.string(), status: ActionOutput.shape.jobs.element.shape.status, priority: Priority })

async function jobBrief (api: ApiClient, id: string): Promise<z.infer<typeof JobBrief>> {
  return shaped(JobBrief, await api.get(`/v1/jobs/${id}`), `GET /v1/jobs/${id}`)
}

/** Does `action` to one job through its own route, and answers in the run-wide routes' shape. */
async function onJob (api: ApiClient, action: Action, id: string, body: object): Promise<ActionOutput> {
  await api.post(`/v1/jobs/${id}/${action}`, body)
  return { action, target: { kind: 'job', id }, jobs: [await jobBrief(api, id)], untouched: [] }
}

function report (out: ActionOutput, st: Style): string[] {
  const verb = { retry: 'retried', cancel: 'cancelled', priority: 'reprioritized' }[out.action]
  const head = out.target.kind === 'run'
    ? `${out.jobs.length === 0 ? `nothing to ${out.action} in` : `${verb} ${out.jobs.length} job(s) of`} run ${shortId(out.target.id)}`
    : `${verb} ${out.jobs[0]?.pipelineJob ?? ''} (${shortId(out.target.id)})`
  return [
    head,
    ...columns(out.jobs.map((j) => [j.pipelineJob, shortId(j.id), st.status(j.status), out.action === 'priority' ? j.priority : '']), '  '),
    ...(out.untouched.length === 0 ? [] : [st.dim('left alone:'), ...columns(out.untouched.map((j) => [j.pipelineJob, shortId(j.id), st.dim(j.why)]), '  ')])
  ]
}

function print (out: ActionOutput, o: { json?: boolean, color?: boolean }): void {
  if (o.json === true) printJson(ActionOutput, out)
  else printLines(report(out, createStyle(colorWanted(process.stdout, o.color))))
}

async function retry (api: ApiClient, target: Target, onlyFailed: boolean): Promise<ActionOutput> {
  if (target.kind === 'run') return shaped(ActionOutput, await api.post(`/v1/runs/${target.id}/retry`, onlyFailed ? { only: 'failed' } : {}), 'POST retry')
  if (onlyFailed) {
    const job = await jobBrief(api, target.id)
    if (job.status !== 'failed') throw new CliUsageError(`job ${shortId(job.id)} (${job.pipelineJob}) is ${job.status}; --failed retries only failed jobs`, { arg: '--failed', detail: job.status })
  }
  return await onJob(api, 'retry', target.id, {})
}

/** Adds `devq retry`, `devq cancel` and `devq priority`. */
export function actionCommands (program: Command, dataDirOf: DataDirOf): void {
  const common = (c: Command): Command => c.option('--no-color', 'no colours (also NO_COLOR=1)').option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
  common(program.command('retry <job-or-run>').description('retry a failed or cancelled job; for a run, every failed and cancelled job (their skipped dependants follow)')
    .option('--failed', 'only failed jobs (not cancelled ones)'))
    .action(async (what: string, o: { failed?: boolean, dataDir?: string, json?: boolean, color?: boolean }) => {
      const api = await connectApi(dataDirOf(o))
      print(await retry(api, await resolveTarget(api, what, ['job', 'run']), o.failed === true), o)
    })
  common(program.command('cancel <job-or-run>').description('cancel a job; for a run, every job of it not yet ended').option('--reason <text>', 'why (kept in the ledger)'))
    .action(async (what: string, o: { reason?: string, dataDir?: string, json?: boolean, color?: boolean }) => {
      const api = await connectApi(dataDirOf(o))
      const target = await resolveTarget(api, what, ['job', 'run'])
      const body = o.reason === undefined ? {} : { reason: o.reason }
      print(target.kind === 'run' ? shaped(ActionOutput, await api.post(`/v1/runs/${target.id}/cancel`, body), 'POST cancel') : await onJob(api, 'cancel', target.id, body), o)
    })
  common(program.command('priority <job> <level>').description(`change a job's priority: ${Priority.options.join(', ')}`))
    .action(async (what: string, level: string, o: { dataDir?: string, json?: boolean, color?: boolean }) => {
      const priority = Priority.safeParse(level)
      if (!priority.success) throw new CliUsageError(`the priority is one of ${Priority.options.join(', ')}, not ${JSON.stringify(level)}`, { arg: 'level', detail: 'unknown priority' })
      const api = await connectApi(dataDirOf(o))
      const target = await resolveTarget(api, what, ['job'])
      print(await onJob(api, 'priority', target.id, { priority: priority.data }), o)
    })
}
