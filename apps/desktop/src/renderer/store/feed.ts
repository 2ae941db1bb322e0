/**
 * Feeds the store from the node: the event stream, with the race-free start the API describes
 * (connect, read `hello`, load with GET, apply the later events per slice by each answer's
 * `devq-event-seq`), resume after a disconnect (`since` + `stream`), a reload on `resync.required`,
 * and the views only GET has (queue estimates, load, subjects) refreshed shortly after events.
 */
import type { DevqClient, EventConnection, StreamResume } from '../api/client.ts'
import { isUnauthorized } from '../api/errors.ts'
import type { ServerMessage, StreamEvent } from '../api/types.ts'
import { logsFollower, type LogsFollower } from './feed-logs.ts'
import { Refresher } from './feed-refresh.ts'
import type { DevqStore } from './store.ts'

/** What the feed does for pages besides keeping the store current. */
export interface Feed {
  /** Follows an attempt's log into the store until the returned function is called. */
  followLog: (job: string, attempt: number) => () => void
  /** Loads a job's detail now and again whenever it changes, until the returned function is called. */
  watchJob: (job: string) => () => void
  /** Loads a run's detail (jobs and needs) now and whenever it changes. */
  watchRun: (run: string) => () => void
  /** Closes the stream and stops reconnecting. */
  stop: () => void
}

export interface FeedInit {
  /** First reconnect delay, ms; doubles up to `maxRetryMs`. */
  retryMs?: number
  maxRetryMs?: number
}

type Phase = { kind: 'idle' } | { kind: 'loading', held: StreamEvent[] } | { kind: 'live' }

class StreamFeed {
  private resume: StreamResume | undefined
  private conn: EventConnection | undefined
  private phase: Phase = { kind: 'idle' }
  private stopped = false
  private retry: number
  private timer: ReturnType<typeof setTimeout> | undefined
  readonly refresher: Refresher
  readonly logs: LogsFollower
  private readonly client: DevqClient
  private readonly store: DevqStore
  private readonly init: FeedInit

  constructor (client: DevqClient, store: DevqStore, init: FeedInit) {
    this.client = client
    this.store = store
    this.init = init
    this.retry = init.retryMs ?? 250
    this.refresher = new Refresher(client, store)
    this.logs = logsFollower(store, () => this.conn)
  }

  private applyEvent (e: StreamEvent): void {
    this.refresher.apply(e)
    this.resume = { stream: this.resume?.stream ?? '', since: e.seq }
  }

  private async loadAll (stream: string, seq: number): Promise<void> {
    this.phase = { kind: 'loading', held: [] }
    this.resume = { stream, since: seq }
    await this.refresher.loadAll()
    if (this.phase.kind !== 'loading') return
    const held = this.phase.held
    this.phase = { kind: 'live' }
    for (const e of held) this.applyEvent(e)
    this.store.getState().linkChanged('live')
    this.logs.resubscribe()
  }

  private readonly onMessage = (m: ServerMessage): void => {
    if (m.type === 'hello' || m.type === 'resync.required') {
      this.retry = this.init.retryMs ?? 250
      if (m.type === 'hello' && this.phase.kind === 'live' && this.resume?.stream === m.stream) {
        this.store.getState().linkChanged('live')
        this.logs.resubscribe()
        return
      }
      this.loadAll(m.stream, m.seq).catch((err: unknown) => { this.fail(err) })
    } else if (m.type === 'log.appended' || m.type === 'log.ended' || m.type === 'error') {
      this.logs.message(m)
    } else if (this.phase.kind === 'loading') {
      this.phase.held.push(m)
    } else if (this.phase.kind === 'live') {
      this.applyEvent(m)
    }
  }

  private schedule (): void {
    if (this.stopped) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => { void this.connect() }, this.retry)
    this.retry = Math.min(this.retry * 2, this.init.maxRetryMs ?? 5000)
  }

  private fail (err: unknown): void {
    if (isUnauthorized(err)) {
      this.stopped = true
      this.store.getState().linkChanged('signed-out', 'This browser is not signed in: run devq open on the node\'s machine.')
      return
    }
    this.store.getState().linkChanged('offline', (err as Error).message)
    this.conn?.close()
  }

  private readonly onClosed = (info: { code: number, reason: string }): void => {
    this.conn = undefined
    if (this.stopped) return
    this.store.getState().linkChanged('offline', info.code === 1001 ? 'the node is stopping' : `the event stream closed (${info.code}${info.reason === '' ? '' : ` ${info.reason}`})`)
    this.schedule()
  }

  async connect (): Promise<void> {
    if (this.stopped) return
    try {
      this.conn = await this.client.openEvents(this.phase.kind === 'live' ? this.resume : undefined, { message: this.onMessage, closed: this.onClosed })
    } catch (err) {
      this.fail(err)
      this.schedule()
    }
  }

  stop (): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.refresher.stop()
    this.conn?.close()
  }
}

/** Starts feeding `store` from `client`. */
export function startFeed (components: { client: DevqClient, store: DevqStore }, init: FeedInit = {}): Feed {
  const feed = new StreamFeed(components.client, components.store, init)
  void feed.connect()
  return {
    followLog: (job, attempt) => feed.logs.follow(job, attempt),
    watchJob: (job) => feed.refresher.watchJob(job),
    watchRun: (run) => feed.refresher.watchRun(run),
    stop: () => { feed.stop() }
  }
}
