/**
 * The one interface the dashboard talks to its node through. In a browser it is fetch and a
 * WebSocket to the node that served the page (http-client.ts); in the desktop app the preload
 * provides the same methods over named IPC channels. Every method may reject with an `ApiError`.
 */
import type {
  ClientMessage, JobDetail, JobLine, JobStatus, LogOutline, NodeSettings, Priority, RunDetail, RunLine,
  ServerMessage, ShareMode, ShareView, StatusView, TeamView
} from './types.ts'

/** An answer and the event-stream seq taken before the node read its state (`devq-event-seq`). */
export interface Answer<T> {
  value: T
  seq: number
}

/** Where to pick the event stream up again after a disconnect. */
export interface StreamResume {
  stream: string
  since: number
}

export interface EventHandlers {
  /** Each message in arrival order. */
  message: (message: ServerMessage) => void
  /** The connection ended (the node stopped, the network dropped, or `close` was called). */
  closed: (info: { code: number, reason: string }) => void
}

/** An open event stream. `send` drops the message when the socket is not open. */
export interface EventConnection {
  send: (message: ClientMessage) => void
  close: () => void
}

export interface JobsQuery { repo?: string, status?: JobStatus[], limit?: number, mine?: boolean }
export interface RunsQuery { repo?: string, limit?: number }

/** Everything the dashboard reads and asks of its node. */
export interface DevqClient {
  status: () => Promise<Answer<StatusView>>
  jobs: (query?: JobsQuery) => Promise<Answer<JobLine[]>>
  job: (id: string) => Promise<JobDetail>
  runs: (query?: RunsQuery) => Promise<Answer<RunLine[]>>
  run: (run: string) => Promise<RunDetail>
  outline: (job: string, attempt: number) => Promise<LogOutline>
  cancelJob: (job: string) => Promise<void>
  retryJob: (job: string) => Promise<void>
  setPriority: (job: string, priority: Priority) => Promise<void>
  /** Retries the failed and cancelled jobs of a run. */
  retryRun: (run: string) => Promise<void>
  share: () => Promise<ShareView>
  setShareMode: (mode: ShareMode) => Promise<ShareView>
  settings: () => Promise<NodeSettings>
  setSettings: (change: { slots?: number, labels?: string[] }) => Promise<NodeSettings>
  team: () => Promise<TeamView>
  /** A join token for a new member's machine (it carries the team key: show it only on demand). */
  joinToken: () => Promise<string>
  /** Saves an attempt's whole log as a text file. */
  downloadLog: (job: string, attempt: number) => Promise<void>
  /** Saves an artifact's bytes under its name. */
  downloadArtifact: (digest: string, name: string) => Promise<void>
  /** Opens the event stream, resuming after `resume.since` when given. */
  openEvents: (resume: StreamResume | undefined, handlers: EventHandlers) => Promise<EventConnection>
}
