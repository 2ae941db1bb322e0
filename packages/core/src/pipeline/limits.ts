import type { RetryPolicy } from '../events/bodies.ts'

/**
 * Every limit the pipeline parser and planner enforce. A `.devq.yml` arrives with each announced
 * commit, so it is untrusted input: each bound here keeps parsing and planning fast and small
 * whatever the file says.
 */
export const PIPELINE_LIMITS = {
  /** Largest `.devq.yml` accepted, in bytes of UTF-8. */
  maxBytes: 256 * 1024,
  /** Deepest nesting of YAML collections (flow or block) accepted. */
  maxDepth: 64,
  /** Weighted alias budget handed to `yaml` (`maxAliasCount`); stops billion-laughs expansion. */
  maxAliasCount: 100,
  /** Jobs under `jobs:` before matrix expansion. */
  maxJobs: 256,
  /** Concrete jobs one matrix may expand to. */
  maxMatrixCombinations: 256,
  /** Concrete jobs in one plan, all matrices expanded. */
  maxPlannedJobs: 1024,
  /** Values per matrix axis. */
  maxAxisValues: 64,
  /** Steps per job. */
  maxSteps: 256,
  /** Characters in one step's `run` script. */
  maxRunChars: 64 * 1024,
  /** Characters of a concrete job id; the ledger's `pipelineJob` holds at most this many. */
  maxJobIdChars: 200,
  /** Characters of a concurrency group; the ledger's `group.name` holds at most this many. */
  maxGroupChars: 256,
  /**
   * Size of one plan: characters of every planned script, env entry and artifact path, plus a
   * small charge per entry. Bounds what matrix x steps x env and `${VAR}` repetition can build.
   */
  maxPlanSize: 16 * 1024 * 1024,
  /** Longest timeout, in ms (the ledger's bound on `timeoutMs`). */
  maxTimeoutMs: 30 * 24 * 3600 * 1000
} as const

/** Defaults the planner applies where a job leaves a field out. */
export const PIPELINE_DEFAULTS: { readonly timeoutMs: number, readonly retry: RetryPolicy } = {
  /** One hour: builds on shared laptops should not hold a slot all day by accident. */
  timeoutMs: 60 * 60 * 1000,
  /** A lost runner (a laptop lid closed) is the common failure on a mesh, and retrying it is always safe. */
  retry: { max: 2, when: ['runner_lost'] }
}
