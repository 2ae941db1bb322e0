/** `devq run`, `devq pull`, `devq logs` and `devq secret`: building commits on the grid. */
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Command } from 'commander'
import { terminalStatuses, type JobStatus } from '@devq/core'
import { connectApi, type ApiClient } from './client.ts'
import { listSecrets, setSecret } from './secrets.ts'
import { digestOrId, resolveTarget } from './cli-resolve.ts'
import { printLog } from './cli-logs.ts'
import { pullFiles } from './cli-pull.ts'
import { colorWanted, createStyle } from './cli-style.ts'
import { ExitCode } from './cli-exit.ts'

type Out = (text: string, json: unknown) => void
type DataDirOf = (o: { dataDir?: string }) => string

interface RunJob { id: string, pipelineJob: string, needs: string[] }
interface RunAnswer { run: string, repo: string, commit: string, ref: string, jobs: RunJob[], existing?: boolean }
interface JobLine {
  id: string
  pipelineJob: string
  status: JobStatus
  attempt: number
  attempts: { n: number, runner: string, reason?: string }[]
  skippedBecause?: string
  result?: { status: string, by: string, fetched?: { bytes: number, objects: number } }
  activity?: { phase: string, step?: string, bytes?: number, objects?: number }
}

const collect = (v: string, all: string[]): string[] => [...all, v]
const shortId = (id: string): string => id.slice(0, 12)

/** What a job is doing, in a few words: its step, the source it is fetching, why it ended. */
function detail (j: JobLine): string {
  const a = j.activity
  if (j.status === 'running' && a?.phase === 'fetching') return ` (fetching source: ${a.objects ?? 0} objects, ${a.bytes ?? 0} bytes)`
  if (j.status === 'running' && a?.step !== undefined) return ` (${a.step})`
  if (j.status === 'succeeded' && j.result?.fetched !== undefined) return ` (source: ${j.result.fetched.objects} objects, ${j.result.fetched.bytes} bytes)`
  if (j.status === 'skipped') return ` (${j.skippedBecause ?? ''})`
  if (j.status === 'failed') return ` (${j.attempts.at(-1)?.reason ?? 'failed'})`
  return ''
}

function describe (j: JobLine): string {
  const runner = j.attempts.find((a) => a.n === j.attempt)?.runner
  return `${j.pipelineJob}: ${j.status}${runner === undefined ? '' : ` on ${shortId(runner)}`}${detail(j)}`
}

/**
 * The lines a job's new state adds: polling can miss a short state, so a job seen first as running
 * or ended still shows the steps it went through (queued, running on which peer).
 */
function linesFor (j: JobLine, printed: Set<string>): string[] {
  const out: string[] = []
  const runner = j.attempts.find((a) => a.n === j.attempt)?.runner
  const reached = (s: JobStatus): boolean => j.status === s || (s === 'queued' && (runner !== undefined || j.status === 'running')) || (s === 'running' && j.attempts.some((a) => a.n === j.attempt && (j.status === 'succeeded' || j.status === 'failed')))
  for (const step of ['queued', 'running'] as const) {
    const key = `${j.id}:${j.attempt}:${step}`
    if (reached(step) && !printed.has(key) && j.status !== step) {
      printed.add(key)
      out.push(step === 'running' && runner !== undefined ? `${j.pipelineJob}: running on ${shortId(runner)}` : `${j.pipelineJob}: ${step}`)
    }
  }
  const line = describe(j)
  const key = `${j.id}:${j.attempt}:${line}`
  if (!printed.has(key)) {
    printed.add(key)
    if (j.status === 'queued' || j.status === 'running') printed.add(`${j.id}:${j.attempt}:${j.status}`)
    out.push(line)
  }
  return out
}

/** Prints each job's status changes until every job of the run has ended; true when all succeeded. */
async function waitForRun (api: ApiClient, run: string, print: (line: string) => void): Promise<boolean> {
  const printed = new Set<string>()
  for (;;) {
    const { jobs } = await api.get<{ jobs: JobLine[] }>(`/v1/runs/${run}`)
    for (const j of jobs) for (const line of linesFor(j, printed)) print(line)
    if (jobs.every((j) => terminalStatuses.has(j.status))) return jobs.every((j) => j.status === 'succeeded' || j.status === 'cached')
    await sleep(250)
  }
}

function runCommand (program: Command, dataDirOf: DataDirOf, printer: (json: boolean) => Out): void {
  program.command('run').description('announce a commit\'s pipeline (.devq.yml in the commit) to the grid')
    .option('--repo <dir>', 'repository directory (default: the current one)').option('--sha <rev>', 'commit to build (default HEAD)')
    .option('--ref <ref>', 'ref to announce (default: the branch HEAD is on)').option('--job <id>', 'only this job and what it needs (repeatable)', collect, [])
    .option('--priority <p>', 'critical, high, normal or low').option('--wait', 'follow the jobs until they end; exit 1 if one did not succeed')
    .option('--again', 'announce a new run even if this peer already announced this commit (same ref and jobs)')
    .option('--data-dir <dir>').option('--json')
    .action(async (o: { repo?: string, sha?: string, ref?: string, job: string[], priority?: string, wait?: boolean, again?: boolean, dataDir?: string, json?: boolean }) => {
      const api = await connectApi(dataDirOf(o))
      const body = { dir: resolve(o.repo ?? process.cwd()), ...(o.sha === undefined ? {} : { sha: o.sha }), ...(o.ref === undefined ? {} : { ref: o.ref }), ...(o.job.length > 0 ? { jobs: o.job } : {}), ...(o.priority === undefined ? {} : { priority: o.priority }), ...(o.again === true ? { again: true } : {}) }
      const run = await api.post<RunAnswer>('/v1/runs', body)
      const head = run.existing === true
        ? `run ${run.run}: already announced for ${shortId(run.commit)} (${run.ref || 'detached'}), ${run.jobs.length} job(s); this is that run (devq retry <job> reruns a failed job, devq run --again builds the commit anew)`
        : `run ${run.run}: ${run.jobs.length} job(s) of ${shortId(run.commit)} (${run.ref || 'detached'})`
      const lines = [head, ...run.jobs.map((j) => `  ${j.id}  ${j.pipelineJob}${j.needs.length > 0 ? ` (needs ${j.needs.join(', ')})` : ''}`)]
      printer(o.json === true)(lines.join('\n'), run)
      if (o.wait !== true) return
      const ok = await waitForRun(api, run.run, (line) => { if (o.json !== true) process.stdout.write(`  ${line}\n`) })
      if (!ok) process.exitCode = ExitCode.failed
    })
}

/**
 * A job id from what the user typed: a full id, a unique prefix of 4 or more digits, or a
 * pipeline job name (the most recently announced job of that name). The node resolves it; an
 * ambiguous prefix is an IdResolveError listing the matches.
 */
export async function resolveJob (api: ApiClient, what: string): Promise<string> {
  return (await resolveTarget(api, what, ['job'])).id
}

function pullAndLogs (program: Command, dataDirOf: DataDirOf, printer: (json: boolean) => Out): void {
  program.command('pull <what>').description('fetch a job\'s artifacts (a job id or name, or one artifact by sha256:digest) from any peer that has them, verified')
    .option('-o, --out <dir>', 'where to write them', '.').option('--progress', 'show progress on stderr even when it is not a terminal').option('--no-progress', 'no progress display')
    .option('--data-dir <dir>').option('--json')
    .action(async (given: string, o: { out: string, progress?: boolean, dataDir?: string, json?: boolean }) => {
      const what = digestOrId(given, 'what')
      const api = await connectApi(dataDirOf(o))
      const job = what.startsWith('sha256:') ? undefined : await resolveJob(api, what)
      const body = { ...(job === undefined ? { digest: what } : { job }), out: resolve(o.out) }
      const res = await pullFiles(api, { body, progress: o.progress, json: o.json === true })
      if (res.files.length === 0 && job !== undefined) {
        const state = await api.get<{ pipelineJob: string, status: string }>(`/v1/jobs/${job}`)
        process.exitCode = state.status === 'succeeded' || state.status === 'cached' ? ExitCode.ok : ExitCode.failed
        printer(o.json === true)(`${state.pipelineJob} (${job.slice(0, 12)}) is ${state.status} and has no artifacts`, res)
        return
      }
      printer(o.json === true)(res.files.map((f) => `${f.path}  ${f.size} bytes  ${f.digest}`).join('\n'), res)
    })
  program.command('logs <job>').description('print a job\'s log (a job id, 4+ digit prefix or name); -f follows it live')
    .option('-f, --follow', 'keep printing until the attempt ends').option('--attempt <n>', 'which attempt (default the latest)')
    .option('--exit-status', 'exit 1 when the job did not succeed (after the log, with -f once it ended)')
    .option('--no-color', 'the log as stored, no colours or drawn groups (also NO_COLOR=1; the default when stdout is not a terminal)').option('--data-dir <dir>')
    .action(async (job: string, o: { follow?: boolean, attempt?: string, exitStatus?: boolean, color?: boolean, dataDir?: string }) => {
      const api = await connectApi(dataDirOf(o))
      const id = await resolveJob(api, job)
      await printLog(api, { job: id, follow: o.follow === true, ...(o.attempt === undefined ? {} : { attempt: o.attempt }), style: createStyle(colorWanted(process.stdout, o.color)) })
      if (o.exitStatus === true) {
        const state = await api.get<{ status: string }>(`/v1/jobs/${id}`)
        if (state.status !== 'succeeded' && state.status !== 'cached') process.exitCode = ExitCode.failed
      }
    })
}

function secretCommands (program: Command, dataDirOf: DataDirOf, printer: (json: boolean) => Out): void {
  const secret = program.command('secret').description('secrets for sensitive jobs this peer announces (kept 0600 in the data dir)')
  secret.command('set <name>').description('store a secret; the value is read from stdin').option('--data-dir <dir>')
    .action(async (name: string, o: { dataDir?: string }) => {
      const chunks: Buffer[] = []
      for await (const c of process.stdin) chunks.push(c as Buffer)
      await setSecret(dataDirOf(o), name, Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, ''))
      process.stdout.write(`secret ${name} stored\n`)
    })
  secret.command('list').description('names of the stored secrets (never their values)').option('--data-dir <dir>').option('--json')
    .action(async (o: { dataDir?: string, json?: boolean }) => {
      const names = await listSecrets(dataDirOf(o))
      printer(o.json === true)(names.join('\n'), { names })
    })
}

/** Adds the build commands to the `devq` program. */
export function buildCommands (program: Command, dataDirOf: DataDirOf, printer: (json: boolean) => Out): void {
  runCommand(program, dataDirOf, printer)
  pullAndLogs(program, dataDirOf, printer)
  secretCommands(program, dataDirOf, printer)
}
