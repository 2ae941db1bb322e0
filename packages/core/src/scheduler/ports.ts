import type { ArtifactRef, BodyOf, EventType, FailureKind, ShareMode } from '../events/bodies.ts'
import type { JobState, TeamState } from '../fold/types.ts'
import type { JobActivity } from './presence.ts'

/** The read side of the ledger the scheduler decides on (the fold). */
export interface LedgerView {
  job(id: string): JobState | undefined
  jobs(): IterableIterator<JobState>
  openJobs(): IterableIterator<JobState>
  succeededWithKey(cacheKey: string, accept?: (job: JobState) => boolean): JobState | undefined
  team(): TeamState
}

/** Appends this peer's own event to its ledger and spreads it. Resolves once it is in the local fold. */
export type Publish = <T extends EventType>(type: T, body: BodyOf<T>) => Promise<unknown>

/** What one attempt produced, as the executor reports it. */
export interface AttemptReport {
  status: 'succeeded' | 'failed' | 'cancelled'
  exitCode: number | null
  failure?: FailureKind
  artifacts: ArtifactRef[]
  logDigest: string | null
  /** Time spent fetching source (ms), if any. */
  fetchMs?: number
  /** Source bytes and objects received. */
  fetched?: { bytes: number, objects: number }
  /** A short human reason for a failure (what failed and why). */
  reason?: string
}

/**
 * Runs attempts of jobs awarded to this peer (synthetic jobs, or real pipelines from the runner
 * package). Called once per attempt; attempts run concurrently up to the peer's slots. When `signal`
 * aborts, stop promptly and resolve with status `cancelled`; when its reason is `FENCE_STOP`, end
 * the steps at once, without a grace. Resolve only once the steps have ended: the scheduler takes
 * that as the end of the attempt. Should not reject; a rejection is reported as a failed attempt
 * with failure `runner_error`.
 */
export interface JobExecutor {
  /**
   * Runs one attempt. `started` resolves once the attempt's `started` event is in the ledger (and
   * rejects when it could not be written): work that only brings things in (the source fetch) may
   * go on meanwhile, but nothing of the job itself (its workspace, its steps) runs before it.
   */
  run(job: JobState, attempt: number, signal: AbortSignal, started?: Promise<void>): Promise<AttemptReport>
  /**
   * Called when this peer bids for `job`: it may start work that a later `run` needs anyway
   * (fetching the source), so the award finds it done. Returns at once, never throws, may be called
   * again for the same job; work for a job this peer is not awarded is simply wasted.
   */
  prefetch?(job: JobState): void
}

/** Whether a previous successful result can be reused (its artifacts can still be fetched). */
export interface ResultAvailability {
  /**
   * Whether `job`'s result artifacts can still be had from this peer or a live one. Called in a
   * scheduler pass, so it answers at once: undefined while it is still finding out (the job then
   * waits for a later pass instead of being awarded). Safe to call again; it starts no duplicate work.
   */
  fetchable(job: JobState): boolean | undefined
}

/** Facts about this peer that change while it runs. */
export interface LocalStatus {
  /** 1-minute load average divided by cores. */
  load: number
  /** Whether someone uses this machine now (see the node's user activity); lowers a shared peer's bids, stops an idle one's. */
  userActive: boolean
  /** How its owner lends this peer now, when that changed since start (else `RunnerProfile.shareMode`). */
  shareMode?: ShareMode
  /** Keys (`workspaceKey`) of the incremental workspaces this runner holds, most recently used first. */
  warmWorkspaces: string[]
  /** How far each running attempt got (the runner reports it). */
  activity?: JobActivity[]
}

/** Static description of this peer as a runner. */
export interface RunnerProfile {
  slots: number
  labels: string[]
  cores: number
  /** How its owner lends this peer at start; `LocalStatus.shareMode` overrides it while it runs. */
  shareMode: ShareMode
  version: string
}
