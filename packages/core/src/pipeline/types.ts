/**
 * The validated, normalized form of a `.devq.yml` (what `parsePipeline` returns). Shorthands are
 * expanded, keys are camelCase, durations are in ms. Fields the file left out and the planner
 * defaults (timeout, retry) stay absent here, so the file's own intent remains visible.
 */
import type { Priority, RetryPolicy } from '../events/bodies.ts'

/** How a job's working tree is prepared: a fresh checkout, or the runner's previous one updated. */
export type Workspace = 'clean' | 'incremental'
/** What an artifact is; `container` is an OCI image layout. */
export type ArtifactKind = 'binary' | 'package' | 'container'

/** A concurrency group: one running and one pending job per group (see DESIGN.md). */
export interface ConcurrencySpec {
  /** Group name template; `${VAR}` placeholders are filled at plan time. */
  group: string
  /** Cancel the running job when a newer one joins the group. */
  cancelInProgress: boolean
}

/** A job matrix. Axis values are strings (numbers and booleans are written as text). */
export interface MatrixSpec {
  /** Axes in file order; the cross product of their values gives the combinations. */
  axes: Record<string, string[]>
  /** Combinations appended after the cross product (duplicates of existing ones are dropped). */
  include: Record<string, string>[]
  /** Patterns; a combination is dropped if it equals a pattern on every key the pattern has. */
  exclude: Record<string, string>[]
}

/** One step of a job. */
export interface StepSpec {
  /** Display name; the planner derives one from `run` when absent. */
  name?: string
  /** Shell script. */
  run: string
  env: Record<string, string>
  /** Step timeout in ms; the job's timeout when absent. */
  timeoutMs?: number
}

/** Files collected after the steps succeed. */
export interface ArtifactSpec {
  name: string
  kind: ArtifactKind
  /** Globs relative to the workspace. */
  paths: string[]
  /** Globs removed from `paths`' matches. */
  exclude: string[]
}

/** One job as written under `jobs.<id>`, before matrix expansion. */
export interface JobSpec {
  /** Display name template (may use matrix variables). */
  name?: string
  /** Runner labels a peer must all have; may use matrix variables. Empty: any peer. */
  runsOn: string[]
  priority: Priority
  /** Job timeout in ms; the planner's default when absent. */
  timeoutMs?: number
  matrix?: MatrixSpec
  /** Ids of jobs (under `jobs:`) that must succeed first. */
  needs: string[]
  /** The planner's default when absent. */
  retry?: RetryPolicy
  cache: boolean
  /** Run only on `trusted` peers; true whenever `secrets` is non-empty. */
  sensitive: boolean
  /** Names of secrets the origin hands to the runner as env vars. */
  secrets: string[]
  workspace: Workspace
  /** Whether steps may reach the network; false (and `sensitive`) needs a sandboxing runner. */
  network: boolean
  env: Record<string, string>
  /** Job-level group, used as written; overrides the file's group. */
  concurrency?: ConcurrencySpec
  steps: StepSpec[]
  artifacts: ArtifactSpec[]
}

/** A validated `.devq.yml`. */
export interface PipelineFile {
  /** The name errors use for the file, e.g. `.devq.yml`. */
  file: string
  version: 1
  env: Record<string, string>
  /** File-level group; the planner applies it to each job separately (see `planPipeline`). */
  concurrency?: ConcurrencySpec
  /** Jobs by id, in file order. */
  jobs: Record<string, JobSpec>
}
