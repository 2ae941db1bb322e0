/**
 * Idempotent runs. A commit is announced once per origin: announcing it again from this peer (a
 * second `devq run`, the hook's queue replayed after a restart, an amend that lands on the same
 * commit) answers the run this peer already announced instead of building it again. The ledger is
 * the record: the fold's jobs say which runs this peer announced, so nothing else is kept.
 *
 * The key is (origin, repo id, commit, ref, the set of planned job ids the run holds). The ref is
 * part of it because the plan depends on it (`${DEVQ_REF}`, concurrency groups); the job set,
 * because `--job x` and the whole pipeline are different runs. Priority is not: asking again with
 * another priority answers the same run. `again` announces a new run whatever exists.
 */
import type { Fold, JobState } from '@devq/core'
import { planRun, writeRun, type AnnouncedRun, type PlannedRun, type RunDeps, type RunRequest } from './runs.ts'

/** A run as `announce` answers it: `existing` when this peer had already announced it. */
export interface RunAnswer extends AnnouncedRun {
  existing: boolean
}

/** What `announce` is asked. */
export interface AnnounceRequest extends RunRequest {
  /** Announce a new run even when this peer already announced one with the same key. */
  again?: boolean
}

/** Announces runs, at most once per key (see the file's comment). */
export interface RunAnnouncer {
  /**
   * Plans `req` and answers the run this peer already announced with the same key, or announces
   * it. Concurrent calls with one key are serialized, so they announce once. Throws RunError as
   * `announceRun` does, before anything is written.
   */
  announce(req: AnnounceRequest): Promise<RunAnswer>
}

/** What the announcer reads (the fold) and writes through (as `announceRun`). */
export interface RunAnnouncerComponents extends RunDeps {
  fold: Fold
  /** This peer: the origin whose runs count. */
  peerId: string
}

/** The key a planned run is announced under (see the file's comment). */
export function runKeyOf (run: { repo: string, commit: string, ref: string, pipelineJobs: readonly string[] }): string {
  return JSON.stringify([run.repo, run.commit, run.ref, [...new Set(run.pipelineJobs)].sort()])
}

/**
 * The newest run `origin` announced under `key`, from the fold's jobs; undefined when none.
 * Scans every job once (a few ms for tens of thousands of jobs; announcing is rare).
 */
export function findOwnRun (fold: Fold, origin: string, key: string): Omit<AnnouncedRun, 'dir'> | undefined {
  const runs = new Map<string, JobState[]>()
  for (const job of fold.jobs()) {
    if (job.origin !== origin || job.run === undefined) continue
    runs.set(job.run, [...(runs.get(job.run) ?? []), job])
  }
  let best: JobState[] | undefined
  for (const jobs of runs.values()) {
    const first = jobs[0]!
    if (runKeyOf({ repo: first.repo, commit: first.commit, ref: first.ref, pipelineJobs: jobs.map((j) => j.pipelineJob) }) !== key) continue
    if (best === undefined || newest(jobs) > newest(best)) best = jobs
  }
  if (best === undefined) return undefined
  const jobs = [...best].sort((a, b) => a.announceLamport - b.announceLamport)
  const first = jobs[0]!
  return {
    run: first.run!, repo: first.repo, commit: first.commit, tree: first.tree ?? '', ref: first.ref,
    jobs: jobs.map((j) => ({ id: j.id, pipelineJob: j.pipelineJob, needs: j.needs.map((n) => n.pipelineJob) }))
  }
}

const newest = (jobs: readonly JobState[]): number => Math.max(...jobs.map((j) => j.announceLamport))

const keyOfPlan = (p: PlannedRun): string => runKeyOf({ repo: p.repoId, commit: p.commit, ref: p.ref, pipelineJobs: p.jobs.map((j) => j.id) })

/** Creates the node's announcer; one per node, so that its per-key serialization covers every caller. */
export function createRunAnnouncer (components: RunAnnouncerComponents): RunAnnouncer {
  const pending = new Map<string, Promise<RunAnswer>>()
  const once = async (planned: PlannedRun, req: AnnounceRequest): Promise<RunAnswer> => {
    if (req.again !== true) {
      const found = findOwnRun(components.fold, components.peerId, keyOfPlan(planned))
      if (found !== undefined) {
        // The directory that just showed it holds the commit is the one to serve it from.
        await components.remember(planned.repoId, planned.repo.dir)
        return { ...found, dir: planned.repo.dir, existing: true }
      }
    }
    return { ...await writeRun(components, planned, req.priority), existing: false }
  }
  return {
    async announce (req) {
      const planned = await planRun(req)
      const key = keyOfPlan(planned)
      const before = pending.get(key)
      const mine = (before === undefined ? once(planned, req) : before.catch(() => undefined).then(async () => await once(planned, req)))
      pending.set(key, mine)
      try {
        return await mine
      } finally {
        if (pending.get(key) === mine) pending.delete(key)
      }
    }
  }
}
