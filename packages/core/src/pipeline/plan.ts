/**
 * The second layer: a validated `PipelineFile` plus the announced ref and repo become a
 * backend-neutral plan, one entry per concrete job. Everything a runner or the scheduler needs is
 * resolved here (matrix, needs, env, defaults, groups), so neither reads YAML or applies defaults.
 */
import { createHash } from 'node:crypto'
import type { Priority, RetryPolicy } from '../events/bodies.ts'
import { interpolate, placeholders } from './interpolate.ts'
import { PIPELINE_DEFAULTS, PIPELINE_LIMITS as L } from './limits.ts'
import { concreteJobId, expandMatrix, type Combination } from './matrix.ts'
import type { ArtifactKind, JobSpec, PipelineFile, StepSpec, Workspace } from './types.ts'

/** The label of peers that can run steps in a sandbox; jobs that need one require it. */
export const SANDBOX_LABEL = 'devq:sandbox'

/** What `planPipeline` needs to know about the commit being planned. */
export interface PlanContext {
  /** The announced git ref, e.g. `refs/heads/main`; fills `${DEVQ_REF}`. */
  ref: string
  /** The repo id (hash of the root commits); fills `${DEVQ_REPO}`. */
  repo: string
  /** Replaces `PIPELINE_DEFAULTS` for jobs that set no timeout or retry. */
  defaults?: { timeoutMs?: number, retry?: RetryPolicy }
}

/** A step ready to run: placeholders filled, env fully merged (global < job < matrix < step). */
export interface PlannedStep {
  name: string
  run: string
  env: Record<string, string>
  /** Never more than the job's timeout. */
  timeoutMs: number
}

/** An artifact to collect, placeholders filled. */
export interface PlannedArtifact {
  name: string
  kind: ArtifactKind
  paths: string[]
  exclude: string[]
}

/** One concrete job: the unit the ledger announces, bids on and runs. */
export interface PlannedJob {
  /** Stable id, e.g. `build` or `build (os=linux, node=22)`; the announce's `pipelineJob`. */
  id: string
  /** The key under `jobs:` this job came from. */
  job: string
  /** Display name. */
  name: string
  /** This job's matrix combination; empty for a plain job. */
  matrix: Combination
  /** Labels a runner must all have. */
  labels: string[]
  priority: Priority
  timeoutMs: number
  /** Concrete ids of the jobs that must succeed first. */
  needs: string[]
  retry: RetryPolicy
  cache: boolean
  sensitive: boolean
  /** Secret names the origin hands to the runner; never their values. */
  secrets: string[]
  workspace: Workspace
  /** Whether steps may reach the network. */
  network: boolean
  /**
   * Whether the job must run in a sandbox (no network): sensitive jobs and `network: false`. Such
   * jobs carry `SANDBOX_LABEL` among `labels`, so only peers that can sandbox bid for them.
   */
  sandbox: boolean
  /** Job-level env: global < job < matrix. Built-in DEVQ_ variables are not included. */
  env: Record<string, string>
  /** Shaped like the announce's `group`. */
  group?: { name: string, cancelInProgress: boolean }
  steps: PlannedStep[]
  artifacts: PlannedArtifact[]
}

/** The plan of one pipeline for one commit. Jobs are in file order, matrix combinations in order. */
export interface PipelinePlan {
  file: string
  ref: string
  repo: string
  jobs: PlannedJob[]
}

/**
 * Expands `file` for one commit. Pure and deterministic: the same file and context give the same
 * plan on every peer. Does not throw for a `PipelineFile` that `parsePipeline` returned.
 *
 * A file-level `concurrency` applies to each job on its own (group `<group>/<job id>`), so a newer
 * commit replaces the same job of an older one instead of the jobs of one commit replacing each
 * other. A job-level `concurrency` group is used as written.
 */
export function planPipeline (file: PipelineFile, context: PlanContext): PipelinePlan {
  const builtins = { DEVQ_REF: context.ref, DEVQ_REPO: context.repo }
  const global = mapValues(file.env, (v) => interpolate(v, builtins))
  const expanded = Object.entries(file.jobs).map(([id, job]) => ({
    id, job, combos: job.matrix === undefined ? [undefined] : expandMatrix(job.matrix)
  }))
  const concreteIds = new Map(expanded.map((e) => [e.id, e.combos.map((c) => concreteJobId(e.id, c))]))
  const jobs: PlannedJob[] = []
  for (const { id, job, combos } of expanded) {
    const needs = [...new Set(job.needs.flatMap((n) => concreteIds.get(n) ?? []))]
    for (const combo of combos) {
      jobs.push(planJob({ file, context, builtins, global, id, job, combo: combo ?? {}, plain: combo === undefined, needs }))
    }
  }
  return { file: file.file, ref: context.ref, repo: context.repo, jobs }
}

interface PlanJobArgs {
  file: PipelineFile
  context: PlanContext
  builtins: Record<string, string>
  global: Record<string, string>
  id: string
  job: JobSpec
  combo: Combination
  plain: boolean
  needs: string[]
}

function planJob (x: PlanJobArgs): PlannedJob {
  const { job, combo, builtins } = x
  const concrete = concreteJobId(x.id, x.plain ? undefined : combo)
  const own = mapValues(job.env, (v) => interpolate(v, { ...builtins, ...x.global, ...combo }))
  const env = { ...x.global, ...own, ...combo }
  const vars = { ...env, ...builtins }
  const timeoutMs = job.timeoutMs ?? x.context.defaults?.timeoutMs ?? PIPELINE_DEFAULTS.timeoutMs
  const retry = job.retry ?? x.context.defaults?.retry ?? PIPELINE_DEFAULTS.retry
  const sandbox = job.sensitive || !job.network
  const labels = job.runsOn.map((l) => interpolate(l, combo))
  if (sandbox && !labels.includes(SANDBOX_LABEL)) labels.push(SANDBOX_LABEL)
  const planned: PlannedJob = {
    id: concrete,
    job: x.id,
    name: displayName(job.name, x.id, x.plain ? undefined : combo),
    matrix: { ...combo },
    labels,
    priority: job.priority,
    timeoutMs,
    needs: [...x.needs],
    retry: { max: retry.max, when: [...retry.when] },
    cache: job.cache,
    sensitive: job.sensitive,
    secrets: [...job.secrets],
    workspace: job.workspace,
    network: job.network,
    sandbox,
    env,
    steps: job.steps.map((s) => planStep(s, env, builtins, timeoutMs)),
    artifacts: job.artifacts.map((a) => ({
      name: interpolate(a.name, vars),
      kind: a.kind,
      paths: a.paths.map((p) => interpolate(p, vars)),
      exclude: a.exclude.map((p) => interpolate(p, vars))
    }))
  }
  const group = groupOf(x, vars, concrete)
  if (group !== undefined) planned.group = group
  return planned
}

function planStep (step: StepSpec, jobEnv: Record<string, string>, builtins: Record<string, string>, jobTimeoutMs: number): PlannedStep {
  const own = mapValues(step.env, (v) => interpolate(v, { ...jobEnv, ...builtins }))
  const env = { ...jobEnv, ...own }
  const vars = { ...env, ...builtins }
  return {
    name: interpolate(step.name ?? defaultStepName(step.run), vars),
    run: interpolate(step.run, vars),
    env,
    timeoutMs: Math.min(step.timeoutMs ?? jobTimeoutMs, jobTimeoutMs)
  }
}

function groupOf (x: PlanJobArgs, vars: Record<string, string>, concrete: string): PlannedJob['group'] {
  if (x.job.concurrency !== undefined) {
    return { name: fitGroup(interpolate(x.job.concurrency.group, vars)), cancelInProgress: x.job.concurrency.cancelInProgress }
  }
  const top = x.file.concurrency
  if (top === undefined) return undefined
  const name = `${interpolate(top.group, { ...x.global, ...x.builtins })}/${concrete}`
  return { name: fitGroup(name), cancelInProgress: top.cancelInProgress }
}

/** A long ref can push a group past what the ledger holds; a prefix plus a hash still names one group. */
function fitGroup (name: string): string {
  if (name.length <= L.maxGroupChars) return name
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16)
  return `${name.slice(0, L.maxGroupChars - hash.length - 1)}#${hash}`
}

function displayName (name: string | undefined, id: string, combo: Combination | undefined): string {
  if (name === undefined) return concreteJobId(id, combo)
  // A name without matrix placeholders would be the same for every combination, so say which one.
  return placeholders(name).length > 0 ? interpolate(name, combo ?? {}) : concreteJobId(name, combo)
}

/** The first line of the script, shortened: what a step is called when it has no name. */
export function defaultStepName (run: string): string {
  const line = run.trim().split('\n')[0]?.trim() ?? ''
  return line.length > 80 ? `${line.slice(0, 77)}...` : line
}

function mapValues (record: Readonly<Record<string, string>>, f: (v: string) => string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(record)) out[k] = f(v)
  return out
}
