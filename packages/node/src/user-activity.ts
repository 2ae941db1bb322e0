/**
 * How long nobody has used this machine: reported by the desktop app (the system's idle time), or,
 * on a headless box, probed from the load average and the login sessions.
 */
import { uptime } from 'node:os'
import type { Clock, Logger } from '@devq/core'
import { probeSessions, type SessionSeen } from './sessions.ts'

/**
 * The port through which a node learns whether its user is around. `idleSeconds` is cheap (a cached
 * value): call it as often as needed.
 */
export interface UserActivity {
  /** Seconds since the machine was last in use; undefined until the first report or probe. */
  idleSeconds(): number | undefined
}

/** The node's user activity: fed by reports (the desktop app) or by its own probe (headless). */
export interface UserActivitySource extends UserActivity {
  /**
   * The desktop app's report: the system has had no input for `idleSeconds`. While reports come
   * (one within REPORT_STALE_MS) they alone count and the probe rests; between reports the idle
   * time grows with the clock. When they stop (the app quit or crashed), the probe takes over.
   */
  report(idleSeconds: number): void
  /** Where the figure comes from now. */
  source(): 'desktop' | 'probe' | 'none'
  /** Starts (true) or stops (false) probing; a node lent as `dedicated` or `off` need not probe. Idempotent. */
  watch(on: boolean): void
  close(): void
}

/** What the probe needs. */
export interface UserActivityInit {
  /** The 1-minute load average per core now (load.ts `loadPerCore`). */
  load: () => number
  /** The 1-minute load average per core at or above which the machine counts as in use. */
  idleLoad: number
  /** Whether this peer runs steps of its own now: their load is not the user's. */
  ownWork: () => boolean
  /** Sessions and their idle times (default `probeSessions`). */
  sessions?: () => Promise<SessionSeen[]>
}

/** How often the probe runs while it is watched (ms). */
export const PROBE_EVERY_MS = 10_000
/**
 * After this long without a desktop report (ms) the reports are stale and the probe counts again.
 * The desktop app reports at least every 90 s; twice that tells a gone app from a late report.
 * It is shorter than the default idle threshold (300 s), so an app that died while its user was
 * at the keyboard cannot carry the machine to `away` on its last figure alone.
 */
export const REPORT_STALE_MS = 180_000
/**
 * After this peer's own steps end, the load average still carries them for about a minute (its
 * time constant): the load is not read as use until this long after (ms).
 */
export const OWN_LOAD_SETTLE_MS = 120_000

/**
 * Creates the user activity of a node. The probe (every PROBE_EVERY_MS while watched) counts the
 * machine in use when the 1-minute load average per core is at or above `idleLoad` (unless this
 * peer's own steps ran within OWN_LOAD_SETTLE_MS), and at the last input of each login session
 * (systemd-logind's idle hint, or the terminal's idle time from `who -u`). Before it saw any use,
 * the machine has been idle since boot.
 */
export function createUserActivity (components: { clock: Clock, logger: Logger }, init: UserActivityInit): UserActivitySource {
  const { clock } = components
  const log = components.logger.child({ component: 'activity' })
  const sessions = init.sessions ?? (async () => await probeSessions())
  let lastUseMs: number | undefined
  let reportedAtMs: number | undefined
  const reportsFresh = (): boolean => reportedAtMs !== undefined && clock.monotonicMs() - reportedAtMs < REPORT_STALE_MS
  let timer: NodeJS.Timeout | undefined
  let probing = false
  let ownWorkMs = -Infinity
  const used = (atMs: number): void => { lastUseMs = Math.max(lastUseMs ?? -Infinity, atMs) }

  async function probe (): Promise<void> {
    if (probing || reportsFresh()) return
    probing = true
    try {
      const now = clock.monotonicMs()
      if (init.ownWork()) ownWorkMs = now
      if (init.load() >= init.idleLoad && now - ownWorkMs >= OWN_LOAD_SETTLE_MS) return used(now)
      const inputs = (await sessions()).map((s) => now - s.idleSeconds * 1000)
      if (!reportsFresh()) used(Math.max(now - uptime() * 1000, ...inputs))
    } catch (err) {
      log.debug({ err }, 'user activity probe failed')
    } finally {
      probing = false
    }
  }

  const stop = (): void => {
    clearInterval(timer)
    timer = undefined
  }
  return {
    idleSeconds: () => (lastUseMs === undefined ? undefined : Math.max(0, (clock.monotonicMs() - lastUseMs) / 1000)),
    report (idleSeconds) {
      reportedAtMs = clock.monotonicMs()
      lastUseMs = reportedAtMs - idleSeconds * 1000
    },
    source: () => (reportsFresh() ? 'desktop' : timer !== undefined ? 'probe' : 'none'),
    watch (on) {
      // Watched, the probe ticks on while reports come (skipping its work), to take over when they stop.
      if (!on) return stop()
      if (timer !== undefined) return
      timer = setInterval(() => { void probe() }, PROBE_EVERY_MS)
      timer.unref()
      void probe()
    },
    close: stop
  }
}
