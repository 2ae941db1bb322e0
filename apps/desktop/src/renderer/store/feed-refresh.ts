/**
 * Loading state with GET and keeping what only GET shows fresh: the status view (queue order and
 * estimates, load, each peer's jobs) a little after events that move it, run subjects and authors
 * for runs first seen on the stream, and the details of the jobs and runs pages have open.
 *
 * Each slice remembers the `devq-event-seq` of the answer it was loaded from; an event with a seq at
 * or below it is already in that answer and is not applied to that slice again (it could only take
 * it back to an older state), so a refresh that races with events never loses one.
 */
import type { DevqClient } from '../api/client.ts'
import type { StreamEvent } from '../api/types.ts'
import type { DevqStore } from './store.ts'

/** How soon after an event the status view is read again, ms; events in between share one read. */
const STATUS_AFTER_MS = 150
/** Same for runs and the details pages hold. */
const DETAIL_AFTER_MS = 250
/** Jobs and runs loaded at start. */
const JOBS_LIMIT = 500
const RUNS_LIMIT = 200
/** Recent events kept to re-apply after a refresh whose answer is older than them. */
const RECENT = 512

type Slice = 'status' | 'jobs' | 'runs'

/** Runs `fn` once, `ms` after the first of any calls in between. */
class Debounced {
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly ms: number
  private readonly fn: () => Promise<void>
  private readonly onError: (err: unknown) => void

  constructor (ms: number, fn: () => Promise<void>, onError: (err: unknown) => void) {
    this.ms = ms
    this.fn = fn
    this.onError = onError
  }

  kick (): void {
    if (this.timer !== undefined) return
    this.timer = setTimeout(() => { this.timer = undefined; this.fn().catch(this.onError) }, this.ms)
  }

  stop (): void { clearTimeout(this.timer) }
}

/** Adds one holder of `id` to `map`; the returned function removes it. */
function hold (map: Map<string, number>, id: string): () => void {
  map.set(id, (map.get(id) ?? 0) + 1)
  return () => {
    const n = (map.get(id) ?? 1) - 1
    if (n <= 0) map.delete(id)
    else map.set(id, n)
  }
}

/** Loads the store with GET and keeps it current from events. */
export class Refresher {
  private readonly loadedAt: Record<Slice, number> = { status: 0, jobs: 0, runs: 0 }
  private readonly recent: StreamEvent[] = []
  private readonly jobsWatched = new Map<string, number>()
  private readonly runsWatched = new Map<string, number>()
  private readonly client: DevqClient
  private readonly store: DevqStore
  private readonly status: Debounced
  private readonly runs: Debounced
  private readonly details: Debounced

  constructor (client: DevqClient, store: DevqStore) {
    this.client = client
    this.store = store
    const quiet = (err: unknown): void => { store.getState().linkChanged(store.getState().link, (err as Error).message) }
    this.status = new Debounced(STATUS_AFTER_MS, async () => { await this.loadStatus() }, quiet)
    this.runs = new Debounced(DETAIL_AFTER_MS, async () => { await this.loadRuns() }, quiet)
    this.details = new Debounced(DETAIL_AFTER_MS, async () => { await this.loadDetails() }, quiet)
  }

  private toSlice (slice: Slice, e: StreamEvent): void {
    if (e.seq <= this.loadedAt[slice]) return
    const s = this.store.getState()
    if (slice === 'jobs' && e.type === 'job.changed') s.jobChanged(e.data.job)
    else if (slice === 'jobs' && e.type === 'job.removed') s.jobRemoved(e.data.id)
    else if (slice === 'runs' && e.type === 'run.changed') s.runChanged(e.data.run)
    else if (slice === 'status' && e.type === 'peer.changed') s.peerChanged(e.data.change, e.data.peer)
  }

  private loaded (slice: Slice, seq: number): void {
    this.loadedAt[slice] = seq
    for (const e of this.recent) this.toSlice(slice, e)
  }

  private async loadStatus (): Promise<void> {
    const a = await this.client.status()
    this.store.getState().statusLoaded(a.value)
    this.loaded('status', a.seq)
  }

  private async loadRuns (): Promise<void> {
    const a = await this.client.runs({ limit: RUNS_LIMIT })
    this.store.getState().runsLoaded(a.value)
    this.loaded('runs', a.seq)
  }

  private async loadJobs (): Promise<void> {
    const a = await this.client.jobs({ limit: JOBS_LIMIT })
    this.store.getState().jobsLoaded(a.value)
    this.loaded('jobs', a.seq)
  }

  private async loadDetails (): Promise<void> {
    const s = this.store.getState()
    await Promise.all([
      ...[...this.jobsWatched.keys()].map(async (id) => { s.detailLoaded(await this.client.job(id)) }),
      ...[...this.runsWatched.keys()].map(async (id) => { s.runDetailLoaded(await this.client.run(id)) })
    ])
  }

  /** Loads every slice afresh (at start, and when the stream cannot be resumed). */
  async loadAll (): Promise<void> {
    this.loadedAt.status = this.loadedAt.jobs = this.loadedAt.runs = Number.MAX_SAFE_INTEGER
    this.recent.length = 0
    await Promise.all([this.loadStatus(), this.loadJobs(), this.loadRuns(), this.loadDetails()])
  }

  /** Applies a live event to each slice that does not hold it yet, and schedules the reads it makes stale. */
  apply (e: StreamEvent): void {
    this.recent.push(e)
    if (this.recent.length > RECENT) this.recent.shift()
    for (const slice of ['jobs', 'runs', 'status'] as const) this.toSlice(slice, e)
    this.status.kick()
    if (e.type === 'run.changed' && this.store.getState().runs[e.data.run.run]?.subject === undefined) this.runs.kick()
    const job = e.type === 'job.changed' ? e.data.job : undefined
    const watched = (job !== undefined && (this.jobsWatched.has(job.id) || (job.run !== undefined && this.runsWatched.has(job.run)))) ||
      (e.type === 'run.changed' && this.runsWatched.has(e.data.run.run))
    if (watched) this.details.kick()
  }

  watchJob (job: string): () => void {
    this.details.kick()
    return hold(this.jobsWatched, job)
  }

  watchRun (run: string): () => void {
    this.details.kick()
    return hold(this.runsWatched, run)
  }

  stop (): void {
    this.status.stop()
    this.runs.stop()
    this.details.stop()
  }
}
