/**
 * `devq provenance` and `devq verify`: a job's signed provenance, and whether a file is what a
 * job built. Both ask only the local node for its ledger's events and check them here again, from
 * their bytes: every event's own signature, and the runner's signature over the statement rebuilt
 * from them. Nothing asks another peer, so both work offline.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { checkProvenance, decodeEvent, type DecodedEvent, type ProvenanceFacts, type ProvenanceProblem, type ProvenanceVerdict } from '@devq/core'
import { connectApi, type ApiClient } from './client.ts'
import { resolveJob } from './cli-builds.ts'
import { digestOrId } from './cli-resolve.ts'
import { CliUsageError } from './errors.ts'
import type { ProvenanceAnswer, ProvenanceGap } from './provenance.ts'
import { ProvenanceOutput, VerifyOutput } from './cli-schemas-tools.ts'
import { printJson, printResult } from './cli-output.ts'
import { runnerRequirement, runnerShortfall, standingText, type RunnerRequirement } from './verify-runner.ts'

const collect = (v: string, all: string[]): string[] => [...all, v]
type DataDirOf = (o: { dataDir?: string }) => string

/** A node's answer checked on this side. */
interface Checked {
  answer: ProvenanceAnswer
  verdict: ProvenanceVerdict | { valid: false, problem: ProvenanceProblem | ProvenanceGap, detail: string }
}

/** Checks the events of `answer` from their bytes, trusting nothing the node concluded. */
function recheck (answer: ProvenanceAnswer): Checked['verdict'] {
  if (answer.events === undefined) return { valid: false, problem: answer.problem ?? 'missing_events', detail: answer.detail ?? 'the node sent no events' }
  const decoded: Partial<Record<'announce' | 'started' | 'finish', DecodedEvent>> = {}
  for (const role of ['announce', 'started', 'finish'] as const) {
    const res = decodeEvent(Buffer.from(answer.events[role], 'utf8'))
    if (!res.ok) return { valid: false, problem: 'bad_event', detail: `the ${role} event is not a valid event: ${res.detail}` }
    decoded[role] = res.value
  }
  const built = answer.source ?? answer.job
  if (decoded.announce!.id !== built) return { valid: false, problem: 'mismatch', detail: `the announce sent is not job ${built}'s` }
  return checkProvenance({ announce: decoded.announce!, started: decoded.started!, finish: decoded.finish! })
}

const short = (id: string): string => id.slice(0, 12)

/** What a verified statement says, in a few lines. */
function describe (f: ProvenanceFacts, answer: ProvenanceAnswer): string[] {
  const cached = answer.source === undefined ? '' : ` (cached from ${short(answer.source)})`
  return [
    `  job     ${answer.job} ${f.announce.pipelineJob}${cached}, attempt ${f.attempt}, ${f.finish.status}`,
    `  commit  ${f.announce.commit} of repo ${f.announce.repo}${f.announce.ref === '' ? '' : ` (${f.announce.ref})`}`,
    `  runner  ${f.runner} ${standingText(answer.runner)}`,
    `  origin  ${f.origin}`
  ]
}

/** The answers for a job (id, prefix or name) or an artifact digest; a digest no job lists gives none. */
async function answersFor (api: ApiClient, what: string): Promise<ProvenanceAnswer[]> {
  if (!what.startsWith('sha256:')) return [await api.get<ProvenanceAnswer>(`/v1/jobs/${await resolveJob(api, what)}/provenance`)]
  try {
    return (await api.get<{ jobs: ProvenanceAnswer[] }>(`/v1/provenance?digest=${encodeURIComponent(what)}`)).jobs
  } catch (err) {
    if ((err as { name?: string }).name === 'ApiRequestError' && (err as { data?: { status?: number } }).data?.status === 404) return []
    throw err
  }
}

/** `sha256:<hex>` of the regular file at `path`, read as a stream. Throws CliUsageError for a path that is none. */
async function fileDigest (path: string): Promise<string> {
  const found = await stat(path).catch((err: unknown) => { throw new CliUsageError(`${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { arg: 'file', detail: 'unreadable' }) })
  if (!found.isFile()) throw new CliUsageError(`${path} is not a regular file`, { arg: 'file', detail: 'not a file' })
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return `sha256:${hash.digest('hex')}`
}

function provenanceCommand (program: Command, dataDirOf: DataDirOf): void {
  program.command('provenance <what>').description('the signed SLSA provenance (a DSSE envelope, one JSON line per job) of a job or of an artifact (sha256:...)')
    .option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (what: string, o: { dataDir?: string, json?: boolean }) => {
      const target = digestOrId(what, 'what')
      const checked = (await answersFor(await connectApi(dataDirOf(o)), target)).map((answer): Checked => ({ answer, verdict: recheck(answer) }))
      if (checked.length === 0) throw new CliUsageError(`no job in this peer's ledger lists ${what}`, { arg: 'what', detail: 'unknown digest' })
      const valid = checked.filter((c) => c.verdict.valid)
      if (valid.length === 0) process.exitCode = 1
      if (o.json !== true) {
        for (const c of checked) if (!c.verdict.valid) process.stderr.write(`devq: the provenance of job ${c.answer.job} does not hold: ${c.verdict.detail}\n`)
      }
      // An invalid one keeps what it claims, when it could be rebuilt, to show what does not hold.
      const jobs = checked.map(({ answer, verdict }) => ({
        job: answer.job, ...(answer.source === undefined ? {} : { source: answer.source }), valid: verdict.valid,
        ...(verdict.valid ? {} : { problem: verdict.problem, detail: verdict.detail }),
        ...('envelope' in verdict && verdict.envelope !== undefined ? { envelope: verdict.envelope } : {}),
        ...('statement' in verdict && verdict.statement !== undefined ? { statement: verdict.statement } : {})
      }))
      if (o.json === true) printJson(ProvenanceOutput, { jobs })
      else if (valid.length > 0) process.stdout.write(`${valid.map((c) => JSON.stringify((c.verdict as { envelope: unknown }).envelope)).join('\n')}\n`)
    })
}

/**
 * Verdicts of `checked` for a file of `digest`: verified ones name the digest among their subjects
 * and their runner meets `required`.
 */
function verdictsFor (checked: Checked[], digest: string, required: RunnerRequirement): { verified: { facts: ProvenanceFacts, answer: ProvenanceAnswer }[], reasons: string[] } {
  const hex = digest.slice('sha256:'.length)
  const verified: { facts: ProvenanceFacts, answer: ProvenanceAnswer }[] = []
  const reasons: string[] = []
  for (const { answer, verdict } of checked) {
    if (!verdict.valid) reasons.push(`job ${short(answer.job)}: its provenance does not hold: ${verdict.detail}`)
    else if (!verdict.statement.subject.some((s) => s.digest.sha256 === hex)) reasons.push(`job ${short(answer.job)}: its signed statement does not list ${digest}: the file is not what that job built (or it was changed)`)
    else {
      const shortfall = runnerShortfall(verdict.facts.runner, answer.runner, required)
      if (shortfall === undefined) verified.push({ facts: verdict.facts, answer })
      else reasons.push(`job ${short(answer.job)}: ${shortfall}`)
    }
  }
  return { verified, reasons }
}

function verifyCommand (program: Command, dataDirOf: DataDirOf): void {
  program.command('verify <file>').description('check offline that a file is an artifact a job built: its digest, the ledger\'s events and the runner\'s signed provenance')
    .option('--job <job>', 'check against this job (id, prefix or name) only')
    .option('--runner <peer>', 'verified only if this peer (its full id) ran the build (repeatable: any of them)', collect, [])
    .option('--require-role <role>', 'verified only if the runner held this role (member, trusted, admin) at its finish (repeatable: all of them)', collect, [])
    .option('--data-dir <dir>').option('--json', 'print JSON (see doc/cli-json.schema.json)')
    .action(async (file: string, o: { job?: string, runner: string[], requireRole: string[], dataDir?: string, json?: boolean }) => {
      const required = runnerRequirement(o)
      const job = o.job === undefined ? undefined : digestOrId(o.job, '--job')
      const path = resolve(file)
      const digest = await fileDigest(path)
      const api = await connectApi(dataDirOf(o))
      const answers = await answersFor(api, job ?? digest)
      const { verified, reasons } = verdictsFor(answers.map((answer) => ({ answer, verdict: recheck(answer) })), digest, required)
      if (answers.length === 0) reasons.push(`no job in this peer's ledger lists ${digest}: the file is not an artifact of a job this peer knows, or it was changed`)
      const ok = verified.length > 0
      if (!ok) process.exitCode = 1
      const lines = ok
        ? [`verified ${path} (${digest})`, ...verified.flatMap((v) => describe(v.facts, v.answer)), ...reasons.map((r) => `  note: ${r}`)]
        : [`not verified: ${path} (${digest})`, ...reasons.map((r) => `  ${r}`)]
      const jobs = verified.map(({ facts: f, answer }) => ({
        job: answer.job, ...(answer.source === undefined ? {} : { source: answer.source }), pipelineJob: f.announce.pipelineJob, attempt: f.attempt, status: f.finish.status,
        repo: f.announce.repo, ref: f.announce.ref, commit: f.announce.commit, runner: f.runner, origin: f.origin,
        ...(answer.runner === undefined ? {} : { runnerRoles: answer.runner.roles, runnerRolesNow: answer.runner.rolesNow })
      }))
      if (!ok && o.json !== true) {
        process.stderr.write(lines.join('\n') + '\n')
        return
      }
      printResult(o.json === true, VerifyOutput, { file: path, digest, verified: ok, jobs, reasons }, lines.join('\n'))
    })
}

/** Adds `devq provenance` and `devq verify` to the program. */
export function provenanceCommands (program: Command, dataDirOf: DataDirOf): void {
  provenanceCommand(program, dataDirOf)
  verifyCommand(program, dataDirOf)
}
