/**
 * The origin's answer to a runner asking for a job's secrets: only for this peer's own sensitive
 * jobs, only to the runner the ledger says holds the current attempt, only if that runner is
 * trusted, and only the secrets the job's pipeline names (read from the developer's repository).
 */
import type { Fold } from '@devq/core'
import { planOf } from '@devq/runner'
import { SecretError } from './errors.ts'
import type { RepoRegistry } from './repos.ts'
import { readSecrets } from './secrets.ts'

/** What deciding takes. */
export interface SecretAccessDeps {
  fold: Fold
  peerId: string
  repos: RepoRegistry
  dataDir: string
  env?: NodeJS.ProcessEnv
}

function refuse (detail: string): SecretError {
  return new SecretError(`secrets refused: ${detail}`, { name: '', detail })
}

/** The secret values for `runner`'s request, or a SecretError that names why not. */
export async function secretsFor (d: SecretAccessDeps, runner: string, jobId: string, attempt: number): Promise<Record<string, string>> {
  const job = d.fold.job(jobId)
  if (job === undefined) throw refuse(`no job ${jobId.slice(0, 12)} in this peer's ledger`)
  if (job.origin !== d.peerId) throw refuse(`job ${jobId.slice(0, 12)} was not announced by this peer`)
  if (!job.sensitive) throw refuse(`job ${jobId.slice(0, 12)} is not sensitive, so it gets no secrets`)
  const current = job.attempts.find((a) => a.n === job.attempt)
  const active = job.status === 'awarded' || job.status === 'running'
  if (!active || job.attempt !== attempt || current?.runner !== runner) throw refuse(`${runner} does not hold attempt ${attempt} of job ${jobId.slice(0, 12)}`)
  const role = d.fold.team().members[runner]
  if (runner !== d.peerId && role !== 'trusted' && role !== 'admin') throw refuse(`${runner} is not a trusted member`)
  const path = d.repos.pathOf(job.repo)
  if (path === undefined) throw refuse(`this peer no longer knows where repository ${job.repo.slice(0, 12)} is`)
  const { job: planned } = await planOf(path, job)
  return await readSecrets(d.dataDir, planned.secrets, d.env)
}
