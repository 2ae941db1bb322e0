/**
 * What feeds the event stream: job and run changes from the ledger's accepted batches (the fold's
 * changes plus the jobs the batch's events name, so only touched jobs are read), and peer changes
 * from a once-a-second diff of the presence table.
 */
import { systemClock, terminalStatuses, type DecodedEvent, type JobChange, type JobState, type PresenceInfo } from '@devq/core'
import type { DevqNode } from './node.ts'
import type { EventHub } from './event-hub.ts'
import type { JobSummary, PeerSummary, RunSummary } from './event-schemas.ts'

/** How often the presence table is compared with what the stream last said, in ms. */
export const PEER_DIFF_MS = 1000

/** Event types that change what a job summary shows; bids change nothing there. */
const SHOWN = new Set(['job.announced', 'job.awarded', 'job.started', 'job.finished', 'job.lost', 'job.priority_changed', 'job.superseded', 'job.cancel_requested', 'job.retry_requested'])

/** The summary of `job` the stream sends. */
export function jobSummary (job: JobState): JobSummary {
  const attempt = job.attempts.find((a) => a.n === job.attempt)
  const s: JobSummary = {
    id: job.id, origin: job.origin, repo: job.repo, ref: job.ref, commit: job.commit, pipelineJob: job.pipelineJob,
    priority: job.priority, status: job.status, attempt: job.attempt, announcedAt: job.announcedAt
  }
  if (job.run !== undefined) s.run = job.run
  if (attempt !== undefined) {
    s.runner = attempt.runner
    if (attempt.startedAt !== undefined) s.startedAt = attempt.startedAt
    if (attempt.finishedAt !== undefined) s.finishedAt = attempt.finishedAt
    if (attempt.failure !== undefined) s.failure = attempt.failure
  }
  if (job.result !== undefined) s.result = { status: job.result.status, exitCode: job.result.exitCode, runMs: job.result.runMs }
  if (job.skippedBecause !== undefined) s.skippedBecause = job.skippedBecause
  if (job.cancelReason !== undefined) s.cancelReason = job.cancelReason
  return s
}

/** The summary of a run from its jobs (at least one). */
export function runSummary (run: string, jobs: readonly JobState[]): RunSummary {
  const counts: Record<string, number> = {}
  for (const j of jobs) counts[j.status] = (counts[j.status] ?? 0) + 1
  const first = jobs[0]!
  return { run, origin: first.origin, repo: first.repo, ref: first.ref, commit: first.commit, status: runStatus(jobs), jobs: jobs.length, counts }
}

function runStatus (jobs: readonly JobState[]): RunSummary['status'] {
  if (jobs.every((j) => terminalStatuses.has(j.status))) {
    if (jobs.every((j) => j.status === 'succeeded' || j.status === 'cached')) return 'succeeded'
    if (jobs.some((j) => j.status === 'failed' || j.status === 'skipped')) return 'failed'
    return 'cancelled'
  }
  return jobs.some((j) => j.status !== 'queued' && j.status !== 'waiting') ? 'running' : 'queued'
}

/** The ids of the jobs a batch touched in a way a summary shows. */
function touchedJobs (events: readonly DecodedEvent[], changes: readonly JobChange[]): Set<string> {
  const ids = new Set(changes.map((c) => c.job))
  for (const ev of events) {
    if (!SHOWN.has(ev.event.type)) continue
    if (ev.event.type === 'job.announced') ids.add(ev.id)
    const job = (ev.event.body as { job?: unknown }).job
    if (typeof job === 'string') ids.add(job)
  }
  return ids
}

function peerSummary (info: PresenceInfo, self: boolean): PeerSummary {
  return { id: info.peer, status: info.status, slots: info.slots, freeSlots: info.freeSlots, labels: info.labels, version: info.version, self }
}

/** The feed; `close` stops it. */
export interface EventFeed {
  close(): void
}

/** Starts feeding `hub` from `node`. */
export function startEventFeed (node: DevqNode, hub: EventHub): EventFeed {
  // Run id -> its job ids, so a run's summary reads only its own jobs.
  const runs = new Map<string, Set<string>>()
  const index = (job: JobState): void => {
    if (job.run !== undefined) runs.set(job.run, (runs.get(job.run) ?? new Set()).add(job.id))
  }
  for (const job of node.fold.jobs()) index(job)
  const offAccepted = node.ledger.onAccepted((events, changes) => {
    const previous = new Map(changes.map((c) => [c.job, c.before]))
    const touchedRuns = new Set<string>()
    for (const id of touchedJobs(events, changes)) {
      const job = node.fold.job(id)
      if (job === undefined) {
        if (previous.has(id)) hub.publish('job.removed', { id })
        continue
      }
      index(job)
      const before = previous.get(id)
      hub.publish('job.changed', { job: jobSummary(job), ...(before === undefined || before === job.status ? {} : { previous: before }) })
      if (job.run !== undefined) touchedRuns.add(job.run)
    }
    for (const run of touchedRuns) {
      const jobs = [...runs.get(run) ?? []].map((id) => node.fold.job(id)).filter((j) => j !== undefined)
      if (jobs.length > 0) hub.publish('run.changed', { run: runSummary(run, jobs) })
    }
  })
  const peers = startPeerDiff(node, hub)
  return {
    close () {
      offAccepted()
      peers.close()
    }
  }
}

/** Compares this peer and the live presence table with what the stream last said, every PEER_DIFF_MS. */
function startPeerDiff (node: DevqNode, hub: EventHub): { close(): void } {
  const said = new Map<string, { summary: PeerSummary, text: string }>()
  const diff = (): void => {
    const now = new Map<string, PeerSummary>([[node.peerId, peerSummary(node.scheduler.presence(), true)]])
    for (const info of node.presence.live(systemClock.monotonicMs(), node.config.leaseMs)) {
      if (info.peer !== node.peerId) now.set(info.peer, peerSummary(info, false))
    }
    for (const [id, summary] of now) {
      const text = JSON.stringify(summary)
      const last = said.get(id)
      if (last?.text === text) continue
      said.set(id, { summary, text })
      hub.publish('peer.changed', { change: last === undefined ? 'joined' : 'updated', peer: summary })
    }
    for (const [id, last] of said) {
      if (now.has(id)) continue
      said.delete(id)
      hub.publish('peer.changed', { change: 'left', peer: { ...last.summary, status: 'offline', freeSlots: 0 } })
    }
  }
  diff()
  const timer = setInterval(diff, PEER_DIFF_MS)
  timer.unref()
  return { close: () => { clearInterval(timer) } }
}
