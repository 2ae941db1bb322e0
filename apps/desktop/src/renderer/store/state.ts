/**
 * The store's shape: one interface per slice, and their union. Slices and the store import it;
 * it imports no slice, so the slices' files form no cycle.
 */
import type { LogOutline, JobDetail, JobLine, JobSummary, NodeSettings, PeerRow, PeerSummary, Priority, QueueRow, RunDetail, RunLine, RunSummary, ShareView, StatusView, TeamView } from '../api/types.ts'
import type { LogAppended, LogBuffer, LogBufferSnapshot, LogEnded } from '../log/index.ts'

export interface PeersSlice {
  /** Peers by id, this peer included. */
  peers: Record<string, PeerRow>
  /** This peer's id, once the status view came. */
  selfId: string | undefined
  queue: QueueRow[]
  /** Jobs waiting for jobs they need (not in the queue yet). */
  waiting: number
  teamName: string
  /** This browser's wall ms when the status view came: queue waits count on from it. */
  statusAt: number
  /** Replaces the grid with a status view. */
  statusLoaded: (view: StatusView) => void
  /** Applies a `peer.changed` event. */
  peerChanged: (change: 'joined' | 'updated' | 'left', peer: PeerSummary) => void
}

/** A job line and what the stream adds to it. */
export type JobEntry = JobLine & { priority?: Priority, failure?: string }

export interface JobsSlice {
  jobs: Record<string, JobEntry>
  /** Details of the jobs a page opened, by id. */
  details: Record<string, JobDetail>
  jobsLoaded: (lines: JobLine[]) => void
  jobChanged: (job: JobSummary) => void
  jobRemoved: (id: string) => void
  detailLoaded: (detail: JobDetail) => void
}

export interface RunsSlice {
  runs: Record<string, RunLine>
  /** Runs with their jobs and needs, for the graphs and run pages, by run id. */
  runDetails: Record<string, RunDetail>
  runsLoaded: (lines: RunLine[]) => void
  runChanged: (run: RunSummary) => void
  runDetailLoaded: (detail: RunDetail) => void
}

/** An attempt's log as far as this page has it: the buffer (mutable, never copied) and its snapshot now. */
export interface LogEntry {
  buffer: LogBuffer
  snapshot: LogBufferSnapshot
  error?: string
}

export interface LogsSlice {
  logs: Record<string, LogEntry>
  logOpened: (job: string, attempt: number) => void
  logAppended: (message: LogAppended) => void
  logEnded: (message: LogEnded) => void
  outlineLoaded: (outline: LogOutline) => void
  logFailed: (job: string, attempt: number, message: string) => void
}

/** `live` while the event stream is open; `connecting` before the first one; `offline` between tries. */
export type LinkState = 'connecting' | 'live' | 'offline' | 'signed-out'

export interface SettingsSlice {
  link: LinkState
  /** Why the link is down, for the banner. */
  linkProblem: string | undefined
  share: ShareView | undefined
  settings: NodeSettings | undefined
  team: TeamView | undefined
  /** The last action's error, shown until the next action. */
  actionError: string | undefined
  linkChanged: (link: LinkState, problem?: string) => void
  shareLoaded: (share: ShareView) => void
  settingsLoaded: (settings: NodeSettings) => void
  teamLoaded: (team: TeamView) => void
  actionFailed: (message: string | undefined) => void
}

export type DevqState = PeersSlice & JobsSlice & RunsSlice & LogsSlice & SettingsSlice
