/**
 * The control API's answers and stream messages as the dashboard reads them. They mirror the
 * node's zod schemas (`devq ... --json` views, `doc/openapi.json`); a test checks that every answer
 * the node's schemas allow fits these types, so the two cannot drift apart unnoticed.
 */
import type { JobStatus, Priority, ShareMode } from '@devq/core'

export type { JobStatus, Priority, ShareMode }

/** How a peer stands on the grid. */
export type PeerState = 'idle' | 'busy' | 'draining' | 'offline'
export type Role = 'member' | 'trusted' | 'admin'

/** A peer as the status view lists it; an offline peer may lack what only its heartbeat says. */
export interface PeerRow {
  id: string
  self: boolean
  state: PeerState
  role?: Role
  slots?: { used: number, total: number }
  /** 1-minute load average divided by cores. */
  load?: number
  labels?: string[]
  shareMode?: ShareMode
  version?: string
  /** Jobs awarded to it that have not ended. */
  jobs: string[]
  heardMsAgo?: number
}

/** One queued job in schedule order; `startsInMs` null when unknown. */
export interface QueueRow {
  position: number
  id: string
  repo: string
  pipelineJob: string
  priority: Priority
  attempt: number
  waitMs: number
  typicalMs: number | null
  startsInMs: number | null
}

/** `GET /v1/views/status`. */
export interface StatusView {
  peer: PeerRow
  team: { name: string, mode: 'open' | 'strict' }
  peers: PeerRow[]
  queue: QueueRow[]
  waiting: number
  counts: Record<string, number>
}

/** One job as lists show it (`GET /v1/views/jobs`). */
export interface JobLine {
  id: string
  repo: string
  repoName?: string
  ref: string
  commit: string
  run?: string
  pipelineJob: string
  status: JobStatus
  attempt: number
  runner?: string
  origin: string
  mine: boolean
  /** It succeeded on an attempt after an earlier attempt of it failed (lost or cancelled attempts do not count). */
  flaky: boolean
  announcedAt: number
  startedAt?: number
  finishedAt?: number
  durationMs?: number
}

export interface JobCounts { total: number, succeeded: number, failed: number, cancelled: number, skipped: number, active: number }

export type RunState = 'waiting' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'superseded'

/** One run (a commit's pipeline) as `GET /v1/views/runs` lists it. */
export interface RunLine {
  run: string
  repo: string
  repoName?: string
  ref: string
  commit: string
  subject?: string
  /** The commit's author name, when the node holds the commit (as `subject`). */
  author?: string
  status: RunState
  jobs: JobCounts
  origin: string
  announcedAt: number
}

export interface NeedRow { pipelineJob: string, job?: string, status?: JobStatus }

export interface AttemptRow {
  n: number
  runner: string
  awardedBy: string
  awardedAt: number
  startedAt?: number
  finishedAt?: number
  durationMs?: number
  outcome?: 'succeeded' | 'failed' | 'cancelled' | 'lost'
  failure?: string
  exitCode?: number | null
  reason?: string
}

export interface ArtifactRow { name: string, kind: 'binary' | 'package' | 'container', file?: string, size: number, digest: string }

export interface Provenance {
  origin: string
  repo: string
  ref: string
  commit: string
  tree?: string
  run?: string
  runner?: string
  cacheKey?: string
  cachedFrom?: string
  logDigest?: string | null
  inputs: {
    pipelineJob: string
    labels: string[]
    priority: Priority
    timeoutMs: number
    retry: { max: number, when: string[] }
    sensitive: boolean
    workspace?: 'clean' | 'incremental'
    envKeys?: string[]
    secrets?: string[]
  }
}

/** `GET /v1/views/jobs/:id`. */
export interface JobDetail {
  kind: 'job'
  job: JobLine & { cancelReason?: string, skippedBecause?: string, supersededBy?: string }
  needs: NeedRow[]
  attempts: AttemptRow[]
  artifacts: ArtifactRow[]
  provenance: Provenance
}

/** `GET /v1/views/runs/:run`. */
export interface RunDetail {
  kind: 'run'
  run: RunLine
  jobs: (JobLine & { needs: NeedRow[] })[]
}

/** `GET /v1/jobs/:id/outline`: a log's lines and groups (one per step). */
export interface LogOutline {
  job: string
  attempt: number
  lines: number
  groups: { name: string, line: number, end: number, collapsed: boolean }[]
}

/** `GET /v1/share`. */
export interface ShareView {
  mode: ShareMode
  userActive: boolean
  idleSeconds?: number
  activitySource: 'desktop' | 'probe' | 'none'
  idleAfterS: number
}

/** A job as the event stream shows it. */
export interface JobSummary {
  id: string
  origin: string
  repo: string
  ref: string
  commit: string
  pipelineJob: string
  run?: string
  priority: Priority
  status: JobStatus
  attempt: number
  runner?: string
  announcedAt: number
  startedAt?: number
  finishedAt?: number
  failure?: string
  result?: { status: string, exitCode: number | null, runMs: number }
  skippedBecause?: string
  cancelReason?: string
}

export interface RunSummary {
  run: string
  origin: string
  repo: string
  ref: string
  commit: string
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
  jobs: number
  counts: Record<string, number>
}

export interface PeerSummary {
  id: string
  status: PeerState
  slots: number
  freeSlots: number
  labels: string[]
  version: string
  self: boolean
}

/** The stream's state events: each has a `seq`, counted without gaps within one `stream`. */
export type StreamEvent =
  | { seq: number, type: 'job.changed', time: number, data: { job: JobSummary, previous?: JobStatus } }
  | { seq: number, type: 'job.removed', time: number, data: { id: string } }
  | { seq: number, type: 'run.changed', time: number, data: { run: RunSummary } }
  | { seq: number, type: 'peer.changed', time: number, data: { change: 'joined' | 'updated' | 'left', peer: PeerSummary } }

export interface ApiErrorBody { name: string, code: string, message: string, data: Record<string, unknown> }

/** Everything the node sends on the event stream. */
export type ServerMessage =
  | StreamEvent
  | { type: 'hello', stream: string, seq: number }
  | { type: 'resync.required', stream: string, seq: number, reason: 'too_old' | 'other_stream' }
  | { type: 'log.appended', job: string, attempt: number, offset: number, end: number, text: string }
  | { type: 'log.ended', job: string, attempt: number, end: number }
  | { type: 'error', error: ApiErrorBody }

/** What the dashboard may send on the stream. */
export type ClientMessage =
  | { subscribe: { logs: string, attempt?: number, from?: number } }
  | { unsubscribe: { logs: string } }

/** `GET /v1/settings`: what this peer lends besides its share mode. */
export interface NodeSettings {
  slots: number
  labels: string[]
  /** Where a change was kept (the config file), or why it could not be. */
  kept?: { file: string } | { error: string }
}

/** `GET /v1/team`: the team and its members with their roles. */
export interface TeamView {
  name: string
  mode: 'open' | 'strict'
  self: string
  members: { peer: string, role: Role, self: boolean }[]
}
