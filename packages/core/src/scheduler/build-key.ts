import { canonicalBytes } from '../events/canonical.ts'
import { sha256Hex } from '../events/envelope.ts'

/** What decides whether an earlier successful result can stand in for a new job. */
export interface BuildKeyInput {
  /** Git tree id of the commit: the content, whatever the commit message or parents. */
  tree: string
  pipelineJob: string
  /** Platform labels the job runs on. */
  labels: readonly string[]
  /** The environment the pipeline declares (names and values after matrix expansion). */
  env: Readonly<Record<string, string>>
  /**
   * The steps as planned (scripts after `${VAR}` interpolation, with their env): a script that uses
   * `${DEVQ_REF}` builds something else on another ref from the same tree.
   */
  steps?: readonly { run: string, env: Readonly<Record<string, string>> }[]
  /** What the job collects: another selection of files is another result. */
  artifacts?: readonly { name: string, kind: string, paths: readonly string[], exclude: readonly string[] }[]
}

/** The build-avoidance key: sha256 hex of the canonical encoding of the inputs. */
export function buildKey (input: BuildKeyInput): string {
  const base = { tree: input.tree, job: input.pipelineJob, labels: [...input.labels].sort(), env: input.env }
  if (input.steps === undefined && input.artifacts === undefined) return sha256Hex(canonicalBytes({ v: 1, ...base }))
  const steps = (input.steps ?? []).map((s) => ({ run: s.run, env: s.env }))
  const artifacts = (input.artifacts ?? []).map((a) => ({ name: a.name, kind: a.kind, paths: [...a.paths], exclude: [...a.exclude] }))
  return sha256Hex(canonicalBytes({ v: 2, ...base, steps, artifacts }))
}

/** The build-avoidance key of a planned job of a commit whose tree is `tree`. */
export function plannedJobKey (tree: string, job: { id: string, labels: readonly string[], env: Readonly<Record<string, string>>, steps: BuildKeyInput['steps'], artifacts: BuildKeyInput['artifacts'] }): string {
  return buildKey({ tree, pipelineJob: job.id, labels: job.labels, env: job.env, steps: job.steps, artifacts: job.artifacts })
}
