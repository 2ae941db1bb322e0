/**
 * Artifact retention on one peer: over its byte budget the store drops the least recently used
 * blobs, but never those of the latest successful job of each pipeline job on each branch, nor
 * those an open job still needs.
 */
import type { Fold, JobState, Logger } from '@devq/core'
import type { ArtifactStore } from '@devq/runner'

/** Digests that must stay: each branch's latest successful result per pipeline job, and open jobs' needs. */
export function pinnedArtifacts (fold: Fold): Set<string> {
  const latest = new Map<string, JobState>()
  for (const job of fold.jobs()) {
    if (job.status !== 'succeeded' && job.status !== 'cached') continue
    const key = `${job.repo}\u0000${job.ref}\u0000${job.pipelineJob}`
    const held = latest.get(key)
    if (held === undefined || held.announceLamport < job.announceLamport) latest.set(key, job)
  }
  const pinned = new Set<string>()
  for (const job of latest.values()) for (const a of job.result?.artifacts ?? []) pinned.add(a.digest)
  for (const job of fold.openJobs()) {
    for (const need of job.needs) {
      for (const a of (need.job === undefined ? undefined : fold.job(need.job))?.result?.artifacts ?? []) pinned.add(a.digest)
    }
  }
  return pinned
}

/** What retention reads and evicts. */
export interface RetentionComponents {
  fold: Fold
  store: ArtifactStore
  logger: Logger
}

/** Runs eviction soon after artifacts arrive, at most once every `everyMs` (default 5 s). */
export function createRetention ({ fold, store, logger }: RetentionComponents, { everyMs = 5_000 }: { everyMs?: number } = {}): { schedule: () => void, close: () => void } {
  let timer: NodeJS.Timeout | undefined
  let running = false
  const run = async (): Promise<void> => {
    timer = undefined
    if (running) return
    running = true
    try {
      const { removed, freedBytes } = await store.evict({ pinned: pinnedArtifacts(fold) })
      if (removed.length > 0) logger.info({ removed: removed.length, freedBytes }, 'evicted least recently used artifacts')
    } catch (err) {
      logger.warn({ err }, 'artifact eviction failed')
    } finally {
      running = false
    }
  }
  return {
    schedule () { timer ??= setTimeout(() => { void run() }, everyMs) },
    close () { clearTimeout(timer) }
  }
}
