/**
 * `devq show <job|run>`: a job's attempts (runner, outcome, reason, timings), artifacts and
 * provenance; a run's jobs with what each needs. `--exit-status` exits 1 when it did not succeed.
 */
import type { Command } from 'commander'
import { connectApi } from './client.ts'
import { ShowOutput, type AttemptRow, type ShowJobOutput, type ShowRunOutput } from './cli-schemas.ts'
import { printJson, printLines, shaped } from './cli-output.ts'
import { resolveTarget } from './cli-resolve.ts'
import { colorWanted, columns, createStyle, formatBytes, formatDuration, shortPeer, shortRef, type Style } from './cli-style.ts'
import { jobCells, runSummary } from './cli-jobs.ts'
import { ExitCode } from './cli-exit.ts'

type DataDirOf = (o: { dataDir?: string }) => string

const time = (ms: number | undefined): string => ms === undefined ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')

function attemptCells (a: AttemptRow, st: Style): string[] {
  const outcome = a.outcome === undefined ? st.status('running') : st.status(a.outcome)
  const why = [a.failure, a.exitCode === undefined || a.exitCode === null || a.outcome === 'succeeded' ? undefined : `exit ${a.exitCode}`].filter((x) => x !== undefined).join(', ')
  return [`#${a.n}`, `on ${shortPeer(a.runner)}`, `${outcome}${why === '' ? '' : ` (${why})`}`, `started ${time(a.startedAt)}`,
    a.durationMs === undefined ? '' : formatDuration(a.durationMs), a.reason ?? '']
}

/** A repository by its directory name and id, or by its id alone. */
const repoText = (r: { repo: string, repoName?: string }): string => r.repoName === undefined || r.repoName === r.repo ? r.repo : `${r.repoName} (${r.repo.slice(0, 16)})`

function field (st: Style, name: string, value: string | undefined): string[] {
  return value === undefined || value === '' ? [] : [`  ${st.dim(name.padEnd(13))} ${value}`]
}

/** The human form of one job. */
export function jobLines (s: ShowJobOutput, st: Style): string[] {
  const j = s.job
  const p = s.provenance
  const i = p.inputs
  const needs = s.needs.map((n) => `${n.pipelineJob} (${n.status ?? 'not announced'})`).join(', ')
  return [
    `${st.bold('job')} ${j.id}`,
    ...field(st, 'pipeline job', j.pipelineJob),
    ...field(st, 'status', `${st.status(j.status)} (attempt ${j.attempt})${j.cancelReason === undefined ? '' : `: ${j.cancelReason}`}${j.skippedBecause === undefined ? '' : `: ${j.skippedBecause}`}`),
    ...field(st, 'repo', repoText(j)),
    ...field(st, 'ref', shortRef(j.ref)),
    ...field(st, 'run', j.run),
    ...field(st, 'needs', needs),
    st.bold(`attempts (${s.attempts.length})`),
    ...columns(s.attempts.map((a) => attemptCells(a, st)), '  '),
    st.bold(`artifacts (${s.artifacts.length})`),
    ...columns(s.artifacts.map((a) => [a.kind, a.name, formatBytes(a.size), a.digest]), '  '),
    st.bold('provenance'),
    ...field(st, 'origin', p.origin), ...field(st, 'commit', p.commit), ...field(st, 'tree', p.tree), ...field(st, 'runner', p.runner),
    ...field(st, 'cache key', p.cacheKey), ...field(st, 'cached from', p.cachedFrom), ...field(st, 'log digest', p.logDigest ?? undefined),
    ...field(st, 'labels', i.labels.join(', ')), ...field(st, 'priority', i.priority),
    ...field(st, 'timeout', i.timeoutMs === 0 ? 'none' : formatDuration(i.timeoutMs)),
    ...field(st, 'retry', `max ${i.retry.max}${i.retry.when.length === 0 ? '' : ` when ${i.retry.when.join(', ')}`}`),
    ...field(st, 'sensitive', i.sensitive ? 'yes' : undefined), ...field(st, 'workspace', i.workspace),
    ...field(st, 'env keys', i.envKeys?.join(', ')), ...field(st, 'secrets', i.secrets?.join(', ')),
    ...field(st, 'synthetic', i.synthetic === undefined ? undefined : `${i.synthetic.durationMs} ms, exit ${i.synthetic.exitCode}, ${i.synthetic.outputBytes} bytes`)
  ]
}

/** The human form of one run. */
export function runLines (s: ShowRunOutput, st: Style): string[] {
  const r = s.run
  const now = Date.now()
  const byId = new Map(s.jobs.map((j) => [j.id, j]))
  return [
    `${st.bold('run')} ${r.run}  ${st.status(r.status)}  ${runSummary(r)}`,
    ...field(st, 'repo', repoText(r)),
    ...field(st, 'ref', shortRef(r.ref)), ...field(st, 'commit', `${r.commit}${r.subject === undefined ? '' : `  ${r.subject}`}`), ...field(st, 'origin', r.origin),
    st.bold(`jobs (${s.jobs.length})`),
    ...columns(s.jobs.map((j) => {
      const needs = j.needs.map((n) => n.job === undefined ? n.pipelineJob : `${n.pipelineJob} ${byId.get(n.job)?.status ?? n.status ?? ''}`.trim())
      return [...jobCells(j, st, now), needs.length === 0 ? '' : `needs ${needs.join(', ')}`]
    }), '  ')
  ]
}

const succeeded = (s: ShowOutput): boolean => s.kind === 'job' ? s.job.status === 'succeeded' || s.job.status === 'cached' : s.run.status === 'succeeded'

/** Adds `devq show`. */
export function showCommand (program: Command, dataDirOf: DataDirOf): void {
  program.command('show <job-or-run>').description('a job (attempts, artifacts, provenance) or a run (its jobs and needs), by id, 4+ digit prefix, or pipeline job name')
    .option('--exit-status', 'exit 1 when the job or run did not succeed').option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (what: string, o: { exitStatus?: boolean, dataDir?: string, json?: boolean, color?: boolean }) => {
      const api = await connectApi(dataDirOf(o))
      const target = await resolveTarget(api, what, ['job', 'run'])
      const path = target.kind === 'job' ? `/v1/views/jobs/${target.id}` : `/v1/views/runs/${target.id}`
      const s = shaped(ShowOutput, await api.get(path), `GET ${path}`)
      const st = createStyle(colorWanted(process.stdout, o.color))
      if (o.json === true) printJson(ShowOutput, s)
      else printLines(s.kind === 'job' ? jobLines(s, st) : runLines(s, st))
      if (o.exitStatus === true && !succeeded(s)) process.exitCode = ExitCode.failed
    })
}
