/**
 * What the origin of a job keeps of it: its artifacts, pulled and verified as soon as the job
 * finishes on another peer, and its log, followed live from the runner into this peer's log store.
 * So a developer has the results of their commit even after the runner leaves.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { ArtifactRef, DecodedEvent, Fold, JobChange, JobState, Logger } from '@devq/core'
import type { Mesh } from '@devq/p2p'
import { ensureArtifact, fetchLog, sourcesOf, type ArtifactStore, type LogStore } from '@devq/runner'

/** Where this peer's copy of a job's artifacts stands. */
export interface PullState {
  state: 'pending' | 'done' | 'failed'
  detail?: string
  /** Local wall ms of the last change. */
  at: number
}

/** The origin's upkeep of its own jobs. */
export interface OriginSync {
  /** Feed of the ledger (`ledger.onAccepted`). */
  observe(events: readonly DecodedEvent[], changes: readonly JobChange[]): void
  /** Where the artifacts of `job` stand on this peer, if it pulled them. */
  pullOf(job: string): PullState | undefined
  /** Resolves when every pull queued so far has ended. */
  idle(): Promise<void>
  close(): void
}

export interface OriginSyncDeps {
  /** Why there is no room for these artifacts here, or undefined when they fit. */
  roomFor: (refs: readonly ArtifactRef[]) => Promise<string | undefined>
  fold: Fold
  peerId: string
  mesh: Mesh
  artifacts: ArtifactStore
  logs: LogStore
  livePeers: () => string[]
  logger: Logger
  /** Called after artifacts arrived (to run retention). */
  onStored?: () => void
}

const PULL_TRIES = 3
const MAX_TRACKED = 10_000

export function createOriginSync (d: OriginSyncDeps): OriginSync {
  const pulls = new Map<string, PullState>()
  const following = new Set<string>()
  const stopper = new AbortController()
  let queue = Promise.resolve()
  const set = (job: string, s: Omit<PullState, 'at'>): void => {
    if (pulls.size > MAX_TRACKED) pulls.delete(pulls.keys().next().value!)
    pulls.set(job, { ...s, at: Date.now() })
  }
  const pull = async (job: JobState): Promise<void> => {
    const refs = job.result?.artifacts ?? []
    const full = await d.roomFor(refs)
    if (full !== undefined) {
      set(job.id, { state: 'failed', detail: full })
      d.logger.warn({ job_id: job.id, detail: full }, 'not pulling the artifacts of an own job')
      return
    }
    for (let attempt = 1; attempt <= PULL_TRIES && !stopper.signal.aborted; attempt++) {
      try {
        for (const ref of refs) {
          await ensureArtifact({ view: d.fold, store: d.artifacts, dial: async (p) => await d.mesh.openStream(p, 'artifacts'), peers: d.livePeers, selfId: d.peerId }, ref, sourcesOf(job, d.livePeers(), d.peerId), stopper.signal)
        }
        set(job.id, { state: 'done' })
        d.logger.info({ job_id: job.id, artifacts: refs.length }, 'artifacts of an own job are here')
        d.onStored?.()
        return
      } catch (err) {
        set(job.id, { state: attempt === PULL_TRIES ? 'failed' : 'pending', detail: (err as Error).message })
        d.logger.warn({ err, job_id: job.id, attempt }, 'pulling artifacts of an own job failed')
        await sleep(1000 * 2 ** (attempt - 1), undefined, { signal: stopper.signal }).catch(() => {})
      }
    }
  }
  const follow = (job: JobState): void => {
    const runner = job.attempts.find((a) => a.n === job.attempt)?.runner
    const key = `${job.id}:${job.attempt}`
    if (runner === undefined || runner === d.peerId || following.has(key)) return
    following.add(key)
    void mirrorLog(d, job, job.attempt, runner, stopper.signal).finally(() => following.delete(key))
  }
  return {
    observe (_events, changes) {
      for (const change of changes) {
        const job = d.fold.job(change.job)
        if (job === undefined || job.origin !== d.peerId) continue
        if (change.after === 'running') follow(job)
        const done = change.after === 'succeeded' || change.after === 'cached'
        if (done && (job.result?.artifacts.length ?? 0) > 0) {
          set(job.id, { state: 'pending' })
          queue = queue.then(async () => { await pull(job) })
        }
      }
    },
    pullOf: (job) => pulls.get(job),
    idle: async () => { await queue },
    close: () => { stopper.abort() }
  }
}

/** Copies the log of a remote attempt into this peer's store while it runs, resuming after a break. */
async function mirrorLog (d: OriginSyncDeps, job: JobState, attempt: number, runner: string, signal: AbortSignal): Promise<void> {
  let writer
  try {
    writer = await d.logs.open(job.id, attempt)
  } catch {
    return
  }
  let bytes = 0
  let triesAfterEnd = 0
  while (!signal.aborted) {
    try {
      const got = await fetchLog({ dial: async () => await d.mesh.openStream(runner, 'logs'), job: job.id, attempt, from: bytes, follow: true, signal, onChunk: async (chunk) => { bytes += chunk.length; await writer.write(chunk) } })
      if (got.closed) break
    } catch (err) {
      d.logger.debug({ err, job_id: job.id, attempt }, 'following a remote log broke; resuming')
    }
    // A quiet step makes the follow time out: resume while the attempt runs, and a few times after.
    const now = d.fold.job(job.id)
    const active = now?.attempt === attempt && (now.status === 'awarded' || now.status === 'running')
    if (!active && ++triesAfterEnd > 3) break
    await sleep(500, undefined, { signal }).catch(() => {})
  }
  await writer.close().catch(() => {})
}
