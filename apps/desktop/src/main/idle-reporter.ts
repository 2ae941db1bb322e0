/**
 * Tells the node how long the system has had no input (`POST /v1/activity {idleSeconds}`), so its
 * share mode `idle` lends the machine only while nobody uses it. The node counts reports stale
 * after 180 s (user-activity.ts REPORT_STALE_MS) and probes by itself then.
 */
import type { Logger } from '@devq/core'

/** A repeating timer; the returned function stops it. */
export type Every = (ms: number, tick: () => void) => () => void

export interface IdleReporterComponents {
  /** Seconds since the last keyboard or mouse input (Electron's powerMonitor.getSystemIdleTime). */
  idleSeconds: () => number
  /** Sends one report; may reject (the node is restarting), and the next tick tries again. */
  report: (idleSeconds: number) => Promise<void>
  /** Milliseconds on a monotonic clock. */
  nowMs: () => number
  every: Every
  logger: Logger
}

export interface IdleReporterInit {
  /** How often the idle time is read, in ms (default 5 s: how soon a return is noticed). */
  sampleMs?: number
  /** Longest time between two reports, in ms (default 60 s, well within the node's 180 s). */
  reportMs?: number
}

export interface IdleReporter {
  /** Stops reading and reporting. Idempotent. */
  stop(): void
}

/**
 * Starts reporting at once: then every `reportMs`, and on the first sample after the user came
 * back (the idle time dropped), so the node stops lending the machine within one sample.
 * Reports never overlap: a return seen while one is in flight is reported on the next sample.
 */
export function startIdleReporter (c: IdleReporterComponents, init: IdleReporterInit = {}): IdleReporter {
  const log = c.logger.child({ component: 'idle' })
  const reportMs = init.reportMs ?? 60_000
  let lastReportMs = -Infinity
  let lastIdle = Infinity
  let inFlight = false
  let due = false
  let stopped = false

  function send (idle: number): void {
    inFlight = true
    lastReportMs = c.nowMs()
    c.report(idle).catch((err: unknown) => {
      // Try again on the next tick rather than waiting out the interval.
      lastReportMs = -Infinity
      log.debug({ err }, 'activity report failed')
    }).finally(() => { inFlight = false })
  }

  function tick (): void {
    if (stopped) return
    const idle = c.idleSeconds()
    if (idle < lastIdle) due = true
    lastIdle = idle
    if (inFlight) return
    if (due || c.nowMs() - lastReportMs >= reportMs) {
      due = false
      send(idle)
    }
  }

  const cancel = c.every(init.sampleMs ?? 5_000, tick)
  tick()
  return {
    stop () {
      if (stopped) return
      stopped = true
      cancel()
    }
  }
}
