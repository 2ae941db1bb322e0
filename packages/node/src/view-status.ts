/**
 * `devq status` as one view: this peer and every other (live ones from their heartbeats, and the
 * ones the ledger knows that were not heard within the lease), the queue in order with each job's
 * wait and estimated start (see queue-estimate.ts for the method), and job counts.
 */
import { queueOrder, systemClock, type JobState, type PresenceInfo } from '@devq/core'
import type { DevqNode } from './node.ts'
import type { PeerRow, QueueRow, StatusOutput } from './cli-schemas.ts'
import { estimateStarts, typicalDurations, type FinishedRun, type SlotPeer, type TypicalDuration } from './queue-estimate.ts'

/** Most offline peers listed (the most recently heard first). */
const MAX_OFFLINE = 100
/** Most queued jobs listed. */
const MAX_QUEUE = 200

const active = (j: JobState): boolean => j.status === 'awarded' || j.status === 'running'
const runnerOf = (j: JobState): string | undefined => j.attempts.find((a) => a.n === j.attempt)?.runner

/** Job ids the ledger has running (or awarded) on each peer. */
function jobsByRunner (node: DevqNode): Map<string, JobState[]> {
  const out = new Map<string, JobState[]>()
  for (const job of node.fold.openJobs()) {
    const runner = runnerOf(job)
    if (!active(job) || runner === undefined) continue
    const list = out.get(runner)
    if (list === undefined) out.set(runner, [job])
    else list.push(job)
  }
  return out
}

function liveRow (node: DevqNode, info: PresenceInfo, jobs: readonly JobState[], heardMsAgo: number | undefined): PeerRow {
  const role = node.fold.team().members[info.peer]
  return {
    id: info.peer, self: info.peer === node.peerId, state: info.status, ...(role === undefined ? {} : { role }),
    slots: { used: Math.max(0, info.slots - info.freeSlots), total: info.slots }, load: info.load, labels: info.labels,
    shareMode: info.shareMode, version: info.version, jobs: jobs.map((j) => j.id),
    ...(heardMsAgo === undefined ? {} : { heardMsAgo: Math.max(0, Math.round(heardMsAgo)) })
  }
}

/** Peers the ledger knows: the admin, listed members, and every author of events. */
function knownPeers (node: DevqNode): Set<string> {
  return new Set([node.team.admin, ...Object.keys(node.fold.team().members), ...Object.keys(node.ledger.versionVector())])
}

function offlineRows (node: DevqNode, liveIds: ReadonlySet<string>, byRunner: Map<string, JobState[]>, nowMono: number): PeerRow[] {
  const rows: PeerRow[] = []
  for (const peer of knownPeers(node)) {
    if (peer === node.peerId || liveIds.has(peer)) continue
    const seen = node.presence.lastSeen(peer)
    const last = node.presence.get(peer)
    const role = node.fold.team().members[peer]
    rows.push({
      id: peer, self: false, state: 'offline', ...(role === undefined ? {} : { role }),
      ...(last === undefined ? {} : { labels: last.labels, shareMode: last.shareMode, version: last.version }),
      jobs: (byRunner.get(peer) ?? []).map((j) => j.id),
      ...(seen === undefined ? {} : { heardMsAgo: Math.max(0, Math.round(nowMono - seen)) })
    })
  }
  return rows.sort((a, b) => (a.heardMsAgo ?? Infinity) - (b.heardMsAgo ?? Infinity) || (a.id < b.id ? -1 : 1)).slice(0, MAX_OFFLINE)
}

/** Finished attempts with a run time, for typical durations. */
function finishedRuns (jobs: Iterable<JobState>): FinishedRun[] {
  const runs: FinishedRun[] = []
  for (const job of jobs) {
    for (const a of job.attempts) {
      if ((a.outcome !== 'succeeded' && a.outcome !== 'failed') || a.startedAt === undefined || a.finishedAt === undefined) continue
      runs.push({ repo: job.repo, pipelineJob: job.pipelineJob, finishedAt: a.finishedAt, durationMs: Math.max(0, a.finishedAt - a.startedAt) })
    }
  }
  return runs
}

function queueRows (node: DevqNode, live: readonly PresenceInfo[], byRunner: Map<string, JobState[]>, now: number): QueueRow[] {
  const typical: TypicalDuration = typicalDurations(finishedRuns(node.fold.jobs()))
  const queue = queueOrder(node.fold.openJobs(), now, node.scheduler.policy).slice(0, MAX_QUEUE)
  const peers: SlotPeer[] = live.filter((p) => p.status !== 'draining').map((p) => ({
    labels: p.labels,
    freeSlots: p.freeSlots,
    running: (byRunner.get(p.peer) ?? []).map((j) => {
      const a = j.attempts.find((x) => x.n === j.attempt)
      return { elapsedMs: Math.max(0, now - (a?.startedAt ?? a?.awardedAt ?? now)), typicalMs: typical(j.repo, j.pipelineJob) }
    })
  }))
  const starts = estimateStarts(peers, queue.map((j) => ({ labels: j.labels, typicalMs: typical(j.repo, j.pipelineJob), notBeforeMs: Math.max(0, j.notBefore - now) })))
  return queue.map((j, i) => {
    const t = typical(j.repo, j.pipelineJob)
    return {
      position: i + 1, id: j.id, repo: j.repo, pipelineJob: j.pipelineJob, priority: j.priority, attempt: j.attempt,
      waitMs: Math.max(0, now - j.queuedAt), typicalMs: t ?? null, startsInMs: starts[i] === undefined ? null : Math.round(starts[i]!)
    }
  })
}

/** The whole `devq status` view, computed now. */
export function statusView (node: DevqNode): StatusOutput {
  const now = Date.now()
  const nowMono = systemClock.monotonicMs()
  const self = node.scheduler.presence()
  const others = node.presence.live(nowMono, node.scheduler.policy.leaseMs).filter((p) => p.peer !== node.peerId)
  const byRunner = jobsByRunner(node)
  const liveIds = new Set(others.map((p) => p.peer))
  const counts: Record<string, number> = {}
  let waiting = 0
  for (const job of node.fold.jobs()) {
    counts[job.status] = (counts[job.status] ?? 0) + 1
    if (job.status === 'waiting') waiting++
  }
  const seen = (p: string): number | undefined => {
    const at = node.presence.lastSeen(p)
    return at === undefined ? undefined : nowMono - at
  }
  return {
    peer: liveRow(node, self, byRunner.get(node.peerId) ?? [], undefined),
    team: { name: node.team.name, mode: node.team.mode },
    peers: [...others.map((p) => liveRow(node, p, byRunner.get(p.peer) ?? [], seen(p.peer))), ...offlineRows(node, liveIds, byRunner, nowMono)],
    queue: queueRows(node, [self, ...others], byRunner, now),
    waiting,
    counts
  }
}
