/**
 * Main's own view of the node, for the tray and notifications: the status, runs and share views,
 * read again shortly after each stream event and every `refreshMs`, and the event stream, opened
 * again with a growing pause whenever it closes.
 */
import type { Logger } from '@devq/core'
import type { ApiClient } from '@devq/node'
import type { RunLine, ShareView, StatusView } from '../renderer/api/types.ts'
import type { StreamHandlers, OpenStream } from './event-stream.ts'
import type { Notice, NotificationPolicy } from './notify-policy.ts'
import type { TrayController } from './tray-controller.ts'

/** A one-shot timer; the returned function cancels it. */
export type After = (ms: number, fn: () => void) => () => void

export interface WatchComponents {
  api: ApiClient
  openStream: (resume: { stream: string, since: number } | undefined, handlers: StreamHandlers) => Promise<OpenStream>
  tray: TrayController
  policy: NotificationPolicy
  notify: (notice: Notice) => void
  after: After
  logger: Logger
}

export interface WatchInit {
  /** Pause between a stream event and the views' refresh, in ms (events come in bursts). */
  settleMs?: number
  /** Longest time between two refreshes, in ms. */
  refreshMs?: number
  /** How many runs the tray and the baseline read. */
  runs?: number
}

export interface NodeWatch {
  /** Resolves after the first refresh (successful or not). */
  readonly ready: Promise<void>
  /** Closes the stream and the timers. Idempotent. */
  stop(): void
}

/** Keeps the event stream open: resumes where it left off, and opens again after 1, 2, 4 ... 30 s. */
function keepStream (c: Pick<WatchComponents, 'openStream' | 'after' | 'logger'>, handlers: { message: StreamHandlers['message'], closed: () => void }): { start: () => Promise<void>, stop: () => void } {
  let stopped = false
  let stream: OpenStream | undefined
  let resume: { stream: string, since: number } | undefined
  let backoffMs = 1_000

  function onMessage (m: Parameters<StreamHandlers['message']>[0]): void {
    if (m.type === 'hello') {
      resume = { stream: m.stream, since: m.seq }
      backoffMs = 1_000
    } else if (m.type === 'resync.required') resume = undefined
    else if ('seq' in m && resume !== undefined) resume = { stream: resume.stream, since: m.seq }
    handlers.message(m)
  }
  async function connect (): Promise<void> {
    if (stopped) return
    try {
      stream = await c.openStream(resume, { message: onMessage, closed: onClosed })
      if (stopped) stream.close()
    } catch (err) {
      c.logger.debug({ err }, 'no event stream')
      onClosed()
    }
  }
  function onClosed (): void {
    stream = undefined
    if (stopped) return
    handlers.closed()
    const wait = backoffMs
    backoffMs = Math.min(backoffMs * 2, 30_000)
    c.after(wait, () => { void connect() })
  }
  return { start: connect, stop: () => { stopped = true; stream?.close() } }
}

/** Starts watching; the first refresh's runs are the notification baseline. */
export function startNodeWatch (c: WatchComponents, init: WatchInit = {}): NodeWatch {
  const log = c.logger.child({ component: 'watch' })
  const settleMs = init.settleMs ?? 500
  let stopped = false
  let baselined = false
  let pending: (() => void) | undefined

  const announce = async (run: Pick<RunLine, 'run' | 'origin' | 'status'>): Promise<void> => {
    const notice = await c.policy.observe(run)
    if (notice !== undefined && !stopped) c.notify(notice)
  }

  async function refresh (): Promise<void> {
    pending?.()
    pending = c.after(init.refreshMs ?? 30_000, () => { void refresh() })
    try {
      const [status, runs, share] = await Promise.all([
        c.api.get<StatusView>('/v1/views/status'),
        c.api.get<{ runs: RunLine[] }>(`/v1/views/runs?limit=${init.runs ?? 50}`),
        c.api.get<ShareView>('/v1/share')
      ])
      if (stopped) return
      c.tray.update({ status, runs: runs.runs, shareMode: share.mode })
      if (!baselined) {
        c.policy.baseline(runs.runs)
        baselined = true
      }
      // Runs that ended while the stream was down are announced from the view.
      for (const r of runs.runs) void announce(r)
    } catch (err) {
      log.debug({ err }, 'the node does not answer')
      if (!stopped) c.tray.update({ status: undefined })
    }
  }

  const soon = (): void => {
    pending?.()
    pending = c.after(settleMs, () => { void refresh() })
  }
  const stream = keepStream({ ...c, logger: log }, {
    message: (m) => {
      if (m.type === 'run.changed') void announce(m.data.run)
      if (m.type !== 'log.appended' && m.type !== 'log.ended') soon()
    },
    closed: soon
  })
  // The stream opens only after the first refresh, so nothing it carries can predate the baseline.
  const ready = refresh().then(stream.start)
  return {
    ready,
    stop () {
      stopped = true
      pending?.()
      stream.stop()
    }
  }
}
