/** Turns a schema-valid `PipelineInput` into a `PipelineFile`: shorthands expanded, durations in ms. */
import type { RetryPolicy } from '../events/bodies.ts'
import { durationMs } from './duration.ts'
import type { JobInput, PipelineInput, StepInput } from './input.ts'
import type { ArtifactSpec, ConcurrencySpec, JobSpec, MatrixSpec, PipelineFile, StepSpec } from './types.ts'

type Scalar = string | number | boolean

/** `PipelineInput` -> `PipelineFile`. Pure; `input` must have passed the `PipelineInput` schema. */
export function normalizePipeline (input: PipelineInput, file: string): PipelineFile {
  const jobs: Record<string, JobSpec> = {}
  for (const [id, job] of Object.entries(input.jobs)) jobs[id] = normalizeJob(job)
  const out: PipelineFile = { file, version: 1, env: strings(input.env), jobs }
  if (input.concurrency !== undefined) out.concurrency = concurrency(input.concurrency)
  return out
}

function normalizeJob (job: JobInput): JobSpec {
  const secrets = job.secrets ?? []
  const out: JobSpec = {
    runsOn: list(job['runs-on']),
    priority: job.priority ?? 'normal',
    needs: list(job.needs),
    cache: job.cache ?? true,
    // Secrets only ever go to trusted peers, so a job that names any is sensitive unless it says otherwise (check.ts rejects that).
    sensitive: job.sensitive ?? secrets.length > 0,
    secrets,
    workspace: job.workspace ?? 'clean',
    network: job.network ?? true,
    env: strings(job.env),
    steps: job.steps.map(step),
    artifacts: (job.artifacts ?? []).map((a): ArtifactSpec => ({
      name: a.name, kind: a.kind ?? 'binary', paths: list(a.paths), exclude: list(a.exclude)
    }))
  }
  if (job.name !== undefined) out.name = job.name
  if (job.timeout !== undefined) out.timeoutMs = ms(job.timeout)
  if (job.matrix !== undefined) out.matrix = matrix(job.matrix)
  if (job.retry !== undefined) out.retry = retry(job.retry)
  if (job.concurrency !== undefined) out.concurrency = concurrency(job.concurrency)
  return out
}

function step (input: StepInput): StepSpec {
  if (typeof input === 'string') return { run: input, env: {} }
  const out: StepSpec = { run: input.run, env: strings(input.env) }
  if (input.name !== undefined) out.name = input.name
  if (input.timeout !== undefined) out.timeoutMs = ms(input.timeout)
  return out
}

function matrix (input: NonNullable<JobInput['matrix']>): MatrixSpec {
  const { include, exclude, ...axes } = input
  const out: MatrixSpec = { axes: {}, include: (include ?? []).map(strings), exclude: (exclude ?? []).map(strings) }
  for (const [name, values] of Object.entries(axes)) out.axes[name] = values.map(String)
  return out
}

function retry (input: NonNullable<JobInput['retry']>): RetryPolicy {
  if (typeof input === 'number') return { max: input, when: ['runner_lost'] }
  return { max: input.max, when: [...new Set(input.when ?? ['runner_lost'])] }
}

function concurrency (input: NonNullable<PipelineInput['concurrency']>): ConcurrencySpec {
  if (typeof input === 'string') return { group: input, cancelInProgress: false }
  return { group: input.group, cancelInProgress: input['cancel-in-progress'] ?? false }
}

function ms (duration: string | number): number {
  // The schema has already checked that this is a duration in range.
  return durationMs(duration) ?? 0
}

function list<T> (value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

function strings (record: Record<string, Scalar> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(record ?? {})) out[k] = String(v)
  return out
}
