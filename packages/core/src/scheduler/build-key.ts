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
}

/** The build-avoidance key: sha256 hex of the canonical encoding of the inputs. */
export function buildKey (input: BuildKeyInput): string {
  return sha256Hex(canonicalBytes({ v: 1, tree: input.tree, job: input.pipelineJob, labels: [...input.labels].sort(), env: input.env }))
}
