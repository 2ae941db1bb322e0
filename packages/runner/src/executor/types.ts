/** The executor's contract: what it needs, its settings, and one attempt in flight. */
import type { ByteStream, Clock, JobActivity, JobExecutor, JobState, LedgerView, Logger } from '@devq/core'
import type { ArtifactStore } from '../artifacts/store.ts'
import type { Containment } from '../exec/containment.ts'
import type { StepLimits } from '../exec/step.ts'
import type { FetchResult } from '../git/fetch.ts'
import type { Mirrors } from '../git/mirrors.ts'
import type { Workspaces } from '../git/workspaces.ts'
import type { LogStore } from '../logs/store.ts'

/** The protocols the executor dials. */
export type RunnerProtocol = 'git' | 'artifacts' | 'secrets'

/** What the executor needs. */
export interface ExecutorComponents {
  mirrors: Mirrors
  workspaces: Workspaces
  logs: LogStore
  artifacts: ArtifactStore
  containment: Containment
  /** Opens a direct stream to `peer` for one of the runner's protocols. */
  dial(peer: string, protocol: RunnerProtocol): Promise<ByteStream>
  /** The fold: the jobs a job needs, and their results. */
  view: LedgerView
  /** Other live peers (not this one), in no particular order. */
  peers(): string[]
  logger: Logger
  clock: Clock
}

/** Settings of the executor. */
export interface ExecutorInit {
  peerId: string
  /** Where per-attempt scratch dirs (tmp, needs) go; removed after each attempt. */
  scratchDir: string
  /** Whether steps may run in bubblewrap here; `always` also sandboxes jobs that do not ask for it. */
  sandbox: 'never' | 'when-asked' | 'always'
  limits: StepLimits
  /** The runner's own environment, from which PATH, LANG and a few more pass to steps. */
  baseEnv: NodeJS.ProcessEnv
  /** Host dirs a sandboxed step must not see (the runner's data dir, home directories). */
  hiddenPaths?: string[]
  /**
   * Whether steps run at low CPU and IO priority (the peer is lent while its owner uses it). Read
   * as each step starts, so a change of share mode applies from the next step on.
   */
  lowPriority?: () => boolean
  /** SIGTERM-to-SIGKILL grace of a stopped step, ms (default 10 s). */
  graceMs?: number
  /** Idle timeout of source and artifact transfers, ms (default 30 s). */
  transferIdleMs?: number
}

/** The executor, and what it tells presence about the attempts it runs. */
export interface PipelineExecutor extends JobExecutor {
  /** How far each running attempt got. */
  activity(): JobActivity[]
}

/** One attempt being run. */
export interface AttemptRun {
  job: JobState
  attempt: number
  signal: AbortSignal
  scratch: string
  report: (a: Omit<JobActivity, 'job' | 'attempt'>) => void
  /** The fetch this peer started when it bid for the job, if it did. */
  prefetched?: Promise<FetchResult | undefined>
  /** Resolves once the attempt's start is in the ledger: the workspace and the steps wait for it. */
  started?: Promise<void>
}

