import type { ArtifactRef, BidScore, FailureKind, FinishStatus, Priority, RetryPolicy, Role, SyntheticSpec, WorkspaceMode } from '../events/bodies.ts'

/**
 * Where a job stands. `announced` is instantaneous in the fold: a valid announce is `queued`, or
 * `waiting` while a job it needs has not succeeded; `skipped` when one of those ended otherwise.
 */
export type JobStatus = 'waiting' | 'queued' | 'awarded' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'superseded' | 'cached' | 'skipped'

/** Every job status, in life order. */
export const jobStatuses: readonly JobStatus[] = ['waiting', 'queued', 'awarded', 'running', 'succeeded', 'failed', 'cancelled', 'superseded', 'cached', 'skipped']

/**
 * Terminal statuses: nothing but a manual retry moves a job out of them, except `skipped`, which
 * follows the jobs it needs (a retried need makes its dependants wait again).
 */
export const terminalStatuses: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled', 'superseded', 'cached', 'skipped'])

/** How one attempt ended. `lost` means its runner stopped sending presence for the lease time. */
export type AttemptOutcome = 'succeeded' | 'failed' | 'cancelled' | 'lost'

/** One attempt of a job: awarded to one runner; only the winning award of an attempt counts. */
export interface AttemptState {
  n: number
  runner: string
  awardedBy: string
  /** Award event id (ties between conflicting awards settle on the lowest `(lamport, author, id)`). */
  award: string
  awardedAt: number
  startedAt?: number
  finishedAt?: number
  outcome?: AttemptOutcome
  failure?: FailureKind | 'runner_lost'
  exitCode?: number | null
  /** The runner's short reason for a failure (e.g. why the source could not be fetched). */
  reason?: string
}

/** A bid for the current attempt. */
export interface BidState {
  peer: string
  labels: string[]
  score: BidScore
  /** Event time of the bid (author's wall clock, ms). */
  at: number
}

/** The accepted result of a job. */
export interface JobResult {
  status: FinishStatus
  attempt: number
  exitCode: number | null
  artifacts: ArtifactRef[]
  logDigest: string | null
  by: string
  at: number
  runMs: number
  cachedFrom?: string
  /** Source bytes and objects the runner received for this result. */
  fetched?: { bytes: number, objects: number }
  /**
   * Id of the finish event that wrote this result, when that finish carries the runner's
   * provenance signature (absent otherwise, so results of unsigned finishes keep their shape).
   */
  provenance?: string
}

/** A job another job needs: its pipeline job id within the run, and the job it resolved to. */
export interface NeedState {
  pipelineJob: string
  /** The job id, once an earlier announce of the same run and origin names that pipeline job. */
  job?: string
}

/** A job as every peer with the same events sees it. Plain data; the fold never mutates a returned object. */
export interface JobState {
  id: string
  origin: string
  repo: string
  ref: string
  commit: string
  tree?: string
  pipelineJob: string
  /** The run (one commit's pipeline) this job belongs to, if it came from a pipeline. */
  run?: string
  /** The jobs of the same run that must succeed first; empty for most jobs. */
  needs: NeedState[]
  priority: Priority
  labels: string[]
  group?: { name: string, cancelInProgress: boolean }
  repoCap?: number
  retry: RetryPolicy
  timeoutMs: number
  cache: boolean
  cacheKey?: string
  sensitive: boolean
  /** The workspace the job's steps run in, as announced; absent means clean. */
  workspace?: WorkspaceMode
  source: { addrs: string[] }
  synthetic?: SyntheticSpec
  /** Announce event time (origin's wall clock, ms): the start of the job's wait, for aging. */
  announcedAt: number
  announceLamport: number
  status: JobStatus
  /** Current attempt number (1-based); `queued` with attempt n means attempt n awaits its award. */
  attempt: number
  /** Earliest wall time (ms) the current attempt may be awarded (retry backoff). */
  notBefore: number
  /** When the job entered its current queued spell (ms), for aging of retries. */
  queuedAt: number
  /** Runners of earlier attempts, so the next attempt can prefer another. */
  attempts: AttemptState[]
  bids: BidState[]
  result?: JobResult
  /** Number of automatic retries used. */
  retries: number
  supersededBy?: string
  cancelReason?: string
  /** Why a `skipped` job did not run: the pipeline job it needed and how that ended. */
  skippedBecause?: string
}

/** Team membership as folded from team events. */
export interface TeamState {
  name?: string
  mode: 'open' | 'strict'
  members: Record<string, Role>
}

/** A job whose status changed in one `apply`, for indexes and listeners. */
export interface JobChange {
  job: string
  before: JobStatus | undefined
  /** Undefined when the job is gone: its announce no longer counts (an equivocating or removed author). */
  after: JobStatus | undefined
}
