/**
 * `devq jobs` (one line per job, filters, `--watch`) and `devq runs` (one line per commit's run).
 * `--watch` on a terminal redraws the list when it changes; elsewhere it prints a line per change.
 * Both stop on Ctrl-C (exit 0).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from 'commander'
import { connectApi, type ApiClient } from './client.ts'
import { CliUsageError } from './errors.ts'
import { JobLine, JobsOutput, RunsOutput, type RunLine } from './cli-schemas.ts'
import { printJson, printLines, shaped } from './cli-output.ts'
import { colorWanted, columns, createStyle, formatAge, formatDuration, shortId, shortPeer, shortRef, type Style } from './cli-style.ts'

type DataDirOf = (o: { dataDir?: string }) => string

interface JobsOptions { mine?: boolean, repo?: string, status?: string, limit: string, watch?: boolean, interval: string, dataDir?: string, json?: boolean, color?: boolean }

/** A positive integer flag, or a CliUsageError naming it. */
export function positiveInt (value: string, flag: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new CliUsageError(`${flag} takes a whole number of at least 1, not ${JSON.stringify(value)}`, { arg: flag, detail: 'not a positive integer' })
  return n
}

const repoOf = (j: { repo: string, repoName?: string }): string => j.repoName ?? j.repo.slice(0, 8)

/** A job's cells: short id, repo, ref, pipeline job, status, attempt, runner, age, duration. */
export function jobCells (j: JobLine, st: Style, now = Date.now()): string[] {
  return [shortId(j.id), repoOf(j), shortRef(j.ref), j.pipelineJob, st.status(j.status), `#${j.attempt}`, j.runner === undefined ? '-' : shortPeer(j.runner),
    `${formatAge(now - j.announcedAt)} ago`, j.durationMs === undefined ? '' : formatDuration(j.durationMs)]
}

function jobsPath (o: JobsOptions): string {
  const q = new URLSearchParams({ limit: String(positiveInt(o.limit, '--limit')) })
  if (o.mine === true) q.set('mine', '1')
  if (o.repo !== undefined) q.set('repo', o.repo)
  if (o.status !== undefined) q.set('status', o.status)
  return `/v1/views/jobs?${q.toString()}`
}

async function fetchJobs (api: ApiClient, path: string): Promise<JobLine[]> {
  return shaped(JobsOutput, await api.get(path), 'GET /v1/views/jobs').jobs
}

/** Polls until Ctrl-C: on a terminal redraws on change, else prints each job whose state changed. */
async function watchJobs (api: ApiClient, path: string, o: JobsOptions, st: Style): Promise<void> {
  const stop = new AbortController()
  const onInt = (): void => { stop.abort() }
  process.once('SIGINT', onInt)
  const tty = process.stdout.isTTY === true && o.json !== true
  const seen = new Map<string, string>()
  let last = ''
  try {
    while (!stop.signal.aborted) {
      const jobs = await fetchJobs(api, path)
      if (tty) {
        const text = [st.bold(`devq jobs: every ${o.interval} ms, Ctrl-C stops`), ...columns(jobs.map((j) => jobCells(j, st)))].join('\n')
        if (text !== last) process.stdout.write(`\u001b[H\u001b[2J${text}\n`)
        last = text
      } else {
        for (const j of [...jobs].reverse()) {
          const key = `${j.status}:${j.attempt}:${j.runner ?? ''}`
          if (seen.get(j.id) === key) continue
          seen.set(j.id, key)
          if (o.json === true) printJson(JobLine, j)
          else printLines([jobCells(j, st).join('  ').trimEnd()])
        }
      }
      await sleep(positiveInt(o.interval, '--interval'), undefined, { signal: stop.signal }).catch(() => {})
    }
  } finally {
    process.off('SIGINT', onInt)
  }
}

function jobsCommand (program: Command, dataDirOf: DataDirOf): void {
  program.command('jobs').description('list jobs, newest first: id, repo, ref, pipeline job, status, attempt, runner, age, duration')
    .option('--mine', 'only jobs this peer announced').option('--repo <repo>', 'only this repository (its directory name, or 4+ digits of its id)')
    .option('--status <list>', 'only these statuses, comma-separated (e.g. queued,running)').option('--limit <n>', 'at most this many', '50')
    .option('--watch', 'keep watching until Ctrl-C: redraws on a terminal, prints each change otherwise').option('--interval <ms>', 'how often --watch asks the node', '1000')
    .option('--no-color', 'no colours (also NO_COLOR=1)').option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (o: JobsOptions) => {
      const path = jobsPath(o)
      positiveInt(o.interval, '--interval')
      const api = await connectApi(dataDirOf(o))
      const st = createStyle(colorWanted(process.stdout, o.color))
      if (o.watch === true) return await watchJobs(api, path, o, st)
      const jobs = await fetchJobs(api, path)
      if (o.json === true) printJson(JobsOutput, { jobs })
      else printLines(jobs.length === 0 ? ['no jobs'] : columns(jobs.map((j) => jobCells(j, st))))
    })
}

/** `3/4 succeeded`, with the failed, cancelled, skipped and unfinished ones named when there are any. */
export function runSummary (r: RunLine): string {
  const j = r.jobs
  const rest = [[j.failed, 'failed'], [j.cancelled, 'cancelled'], [j.skipped, 'skipped'], [j.active, 'not ended']] as const
  return [`${j.succeeded}/${j.total} succeeded`, ...rest.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`)].join(', ')
}

/** A run's cells: run id, repo, ref, commit, subject, status, jobs summary. */
export function runCells (r: RunLine, st: Style): string[] {
  return [shortId(r.run), repoOf(r), shortRef(r.ref), r.commit.slice(0, 10), r.subject ?? '', st.status(r.status), runSummary(r)]
}

function runsCommand (program: Command, dataDirOf: DataDirOf): void {
  program.command('runs').description('list runs (one commit\'s pipeline each), newest first: id, repo, ref, commit, subject, status, jobs')
    .option('--repo <repo>', 'only this repository (its directory name, or 4+ digits of its id)').option('--limit <n>', 'at most this many', '20')
    .option('--no-color', 'no colours (also NO_COLOR=1)').option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (o: { repo?: string, limit: string, dataDir?: string, json?: boolean, color?: boolean }) => {
      const q = new URLSearchParams({ limit: String(positiveInt(o.limit, '--limit')), ...(o.repo === undefined ? {} : { repo: o.repo }) })
      const api = await connectApi(dataDirOf(o))
      const { runs } = shaped(RunsOutput, await api.get(`/v1/views/runs?${q.toString()}`), 'GET /v1/views/runs')
      const st = createStyle(colorWanted(process.stdout, o.color))
      if (o.json === true) printJson(RunsOutput, { runs })
      else printLines(runs.length === 0 ? ['no runs'] : columns(runs.map((r) => runCells(r, st))))
    })
}

/** Adds `devq jobs` and `devq runs`. */
export function listCommands (program: Command, dataDirOf: DataDirOf): void {
  jobsCommand(program, dataDirOf)
  runsCommand(program, dataDirOf)
}
