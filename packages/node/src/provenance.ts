/**
 * A job's provenance as this peer's ledger holds it: the three events it is made of (announce,
 * the runner's start, the winning finish), and whether the runner's signature holds over the
 * statement they rebuild to. Reads the local ledger only; never asks another peer.
 */
import { checkProvenance, type DecodedEvent, type DsseEnvelope, type Fold, type JobState, type JobStatus, type Ledger, type ProvenanceProblem, type Role } from '@devq/core'

/** Most jobs one digest lookup answers with (one artifact rebuilt many times lists them all). */
export const MAX_PROVENANCE_JOBS = 16

/** Why no provenance could be checked at all, besides core's `ProvenanceProblem`s. */
export type ProvenanceGap = 'no_result' | 'missing_events'

/**
 * Who ran the build, as this peer's fold judges the team: the finish's author, the roles it held
 * at the finish's place in the order (what the fold counted the finish by; empty when it was no
 * member there) and the roles it holds now. Peers carry no names in the ledger: the peer id is it.
 */
export interface RunnerStanding {
  peer: string
  roles: Role[]
  rolesNow: Role[]
}

/** What `GET /v1/jobs/:id/provenance` answers for one job. */
export interface ProvenanceAnswer {
  /** The job asked about. */
  job: string
  status: JobStatus
  /** For a cached job, the job whose build it reuses: its provenance is that job's. */
  source?: string
  /** The canonical JSON of each event, so a client can check them itself. */
  events?: { announce: string, started: string, finish: string }
  valid: boolean
  problem?: ProvenanceProblem | ProvenanceGap
  detail?: string
  envelope?: DsseEnvelope
  /** The runner of the finish the provenance is made of, when this peer holds that finish. */
  runner?: RunnerStanding
}

/** What the lookups read: the fold (which finish won) and the ledger (the events themselves). */
export interface ProvenanceSources {
  fold: Pick<Fold, 'job' | 'rolesAt'>
  ledger: Pick<Ledger, 'get' | 'eventsForJob'>
}

const text = (e: DecodedEvent): string => Buffer.from(e.bytes).toString('utf8')

/** The runner's `started` event of the attempt that gave `job` its result: the one the fold took. */
async function startedEvent (s: ProvenanceSources, job: JobState, runner: string, attempt: number): Promise<DecodedEvent | undefined> {
  const startedAt = job.attempts.find((a) => a.n === attempt && a.runner === runner)?.startedAt
  const starts = (await s.ledger.eventsForJob(job.id)).filter((e) => e.event.type === 'job.started' && e.event.author === runner && e.event.body.attempt === attempt)
  return starts.find((e) => e.event.time === startedAt) ?? starts[0]
}

/**
 * The provenance of `asked` (a job of the fold), following a cached result to the job that built
 * it. Never throws for what the ledger holds: a gap or a failed check is in the answer.
 */
export async function provenanceOf (s: ProvenanceSources, asked: JobState): Promise<ProvenanceAnswer> {
  const from = asked.result?.cachedFrom
  const job = from === undefined ? asked : s.fold.job(from)
  const base = { job: asked.id, status: asked.status, ...(from === undefined ? {} : { source: from }) }
  const result = job?.result
  if (job === undefined || result === undefined) {
    return { ...base, valid: false, problem: 'no_result', detail: `job ${asked.id.slice(0, 12)} is ${asked.status} and has no result to attest` }
  }
  if (result.provenance === undefined) {
    return { ...base, valid: false, problem: 'unsigned', detail: `the finish of job ${job.id.slice(0, 12)} carries no provenance signature (its runner ${result.by} signs none)` }
  }
  const [announce, finish, started] = await Promise.all([s.ledger.get(job.id), s.ledger.get(result.provenance), startedEvent(s, job, result.by, result.attempt)])
  if (announce === undefined || finish === undefined || started === undefined) {
    return { ...base, valid: false, problem: 'missing_events', detail: `this peer's ledger lacks the ${announce === undefined ? 'announce' : finish === undefined ? 'finish' : 'start'} of job ${job.id.slice(0, 12)}` }
  }
  const verdict = checkProvenance({ announce, started, finish })
  const events = { announce: text(announce), started: text(started), finish: text(finish) }
  const runner: RunnerStanding = { peer: finish.event.author, roles: s.fold.rolesAt(finish.event.author, finish), rolesNow: s.fold.rolesAt(finish.event.author) }
  if (verdict.valid) return { ...base, events, valid: true, envelope: verdict.envelope, runner }
  return { ...base, events, runner, valid: false, problem: verdict.problem, detail: verdict.detail, ...(verdict.envelope === undefined ? {} : { envelope: verdict.envelope }) }
}

/**
 * The provenance of every job whose result lists `digest` (a cached job counts once, as the job it
 * reuses), at most MAX_PROVENANCE_JOBS, newest announce first.
 */
export async function provenanceOfDigest (s: ProvenanceSources, jobs: readonly JobState[]): Promise<ProvenanceAnswer[]> {
  const seen = new Set<string>()
  const out: ProvenanceAnswer[] = []
  for (const job of [...jobs].sort((a, b) => b.announceLamport - a.announceLamport)) {
    const built = job.result?.cachedFrom ?? job.id
    if (seen.has(built)) continue
    seen.add(built)
    out.push(await provenanceOf(s, job))
    if (out.length >= MAX_PROVENANCE_JOBS) break
  }
  return out
}
