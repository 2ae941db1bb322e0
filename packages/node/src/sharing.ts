/**
 * How this node is lent (its share mode) and whether its user is around, as the scheduler and the
 * runner read them while the node runs. The mode can change at any time (`devq share`); the change
 * takes effect with the next scheduler pass and heartbeat, and attempts already running go on.
 */
import type { Clock, Logger, ShareMode } from '@devq/core'
import { createUserActivity, type UserActivitySource, type UserActivityInit } from './user-activity.ts'

/** What `GET /v1/share` answers. */
export interface SharingView {
  mode: ShareMode
  /** Whether the machine counts as in use now (see `Sharing.userActive`). */
  userActive: boolean
  /** Seconds since the machine was last in use, when known. */
  idleSeconds?: number
  /** Where that figure comes from: the desktop app's reports, this node's own probe, or nowhere yet. */
  activitySource: 'desktop' | 'probe' | 'none'
  /** Seconds without use after which the user counts as away. */
  idleAfterS: number
}

/** A node's share mode and user activity. Cheap to read; safe to call from any pass. */
export interface Sharing {
  mode(): ShareMode
  /** Lends the node as `mode` from now on. Listeners hear a change; setting the same mode is a no-op. */
  setMode(mode: ShareMode): void
  /**
   * Whether someone uses the machine: no input for less than `idleAfterS`, or not known yet. Only
   * `idle` and `shared` peers watch for it; a `dedicated` or `off` one always says false.
   */
  userActive(): boolean
  /** The desktop app's report of the system's idle time (seconds). */
  reportActivity(idleSeconds: number): void
  /** Whether steps should run at low CPU and IO priority: the machine is someone's (`shared`, `idle`). */
  lowPriority(): boolean
  /** Calls `listener` after each change of mode (to send a heartbeat, or keep the mode in the config). */
  onModeChanged(listener: (mode: ShareMode) => void): () => void
  view(): SharingView
  close(): void
}

export interface SharingInit extends Omit<UserActivityInit, 'sessions'> {
  mode: ShareMode
  /** Seconds without use after which the user counts as away. */
  idleAfterS: number
  /** The activity source (default: the desktop's reports, else the headless probe). */
  activity?: UserActivitySource
}

const watched = (mode: ShareMode): boolean => mode === 'idle' || mode === 'shared'

export function createSharing (components: { clock: Clock, logger: Logger }, init: SharingInit): Sharing {
  const activity = init.activity ?? createUserActivity(components, init)
  const listeners = new Set<(mode: ShareMode) => void>()
  let mode = init.mode
  activity.watch(watched(mode))
  const userActive = (): boolean => {
    if (!watched(mode)) return false
    const idle = activity.idleSeconds()
    return idle === undefined || idle < init.idleAfterS
  }
  return {
    mode: () => mode,
    setMode (next) {
      if (next === mode) return
      mode = next
      activity.watch(watched(mode))
      components.logger.info({ component: 'sharing', mode }, 'share mode changed')
      for (const listener of listeners) {
        try {
          listener(mode)
        } catch (err) {
          components.logger.error({ component: 'sharing', err }, 'share mode listener threw')
        }
      }
    },
    userActive,
    reportActivity: (idleSeconds) => { activity.report(idleSeconds) },
    lowPriority: () => mode === 'shared' || mode === 'idle',
    onModeChanged (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    view () {
      const idle = activity.idleSeconds()
      return { mode, userActive: userActive(), ...(idle === undefined ? {} : { idleSeconds: Math.round(idle) }), activitySource: activity.source(), idleAfterS: init.idleAfterS }
    },
    close: () => { activity.close() }
  }
}
