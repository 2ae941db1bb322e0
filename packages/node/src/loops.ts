import { presenceIntervalMs, systemClock, type Logger, type Scheduler } from '@devq/core'
import type { Mesh } from '@devq/p2p'

/** How often the scheduler runs a pass without new events (ms). */
const TICK_MS = 100
/**
 * The same while nothing is open or running (ms): a pass would only notice time passing. Well
 * under the scheduler's STALL_MS, so quiet passes never look like a stalled host.
 */
const QUIET_TICK_MS = 500
/** New events come in bursts: one scheduler pass this long (ms) after the first serves the whole burst. */
const TICK_AFTER_EVENTS_MS = 3

/** The timers that drive a scheduler. `close` stops them; a pass already running finishes. */
export interface SchedulerLoop {
  /** Asks for a pass soon (after new events). Cheap and idempotent within a burst. */
  soon(): void
  close(): void
}

/**
 * Runs scheduler passes on a 100 ms timer (500 ms while the scheduler is quiet), shortly after new
 * events, and when a bid window the last pass saw closes (not at the next timer tick). After a
 * pass that found this peer lending otherwise than its last heartbeat says, calls `lendingChanged`
 * (which sends one).
 */
export function startSchedulerLoop (scheduler: Scheduler, lendingChanged: () => void = () => {}): SchedulerLoop {
  let closed = false
  let queued = false
  let wake: NodeJS.Timeout | undefined
  const tick = async (): Promise<void> => {
    if (closed) return
    await scheduler.tick()
    if (scheduler.lendingChanged() && !closed) lendingChanged()
    const at = scheduler.nextWakeMs()
    if (at === undefined || wake !== undefined || closed) return
    wake = setTimeout(() => { wake = undefined; void tick() }, Math.max(0, at - systemClock.monotonicMs()) + 1)
  }
  let timer: NodeJS.Timeout
  const every = (): void => {
    void tick()
    if (!closed) timer = setTimeout(every, scheduler.quiet() ? QUIET_TICK_MS : TICK_MS)
  }
  timer = setTimeout(every, TICK_MS)
  return {
    soon () {
      if (queued) return
      queued = true
      setTimeout(() => { queued = false; void tick() }, TICK_AFTER_EVENTS_MS)
    },
    close () {
      closed = true
      clearTimeout(timer)
      clearTimeout(wake)
    }
  }
}

/** This peer's heartbeats on the presence topic. */
export interface Heartbeat {
  /** Sends one now (e.g. the draining status on stop). Never throws. */
  send(): void
  /**
   * After new ledger events: while the next beat is a quiet team's (two leases away) and the team
   * is no longer quiet, beats now, so every peer is back on the quarter lease at once. Cheap.
   */
  nudge(): void
  /** Another peer said hello, or was not live: beat within ANSWER_MS (one answer for a burst, at most one a second). */
  answer(): void
  /**
   * This peer started or stopped lending (see `Scheduler.lendingChanged`): beat now, at most once a
   * second should the activity probe flicker (a later pass finds the change still unsent).
   */
  lendingChanged(): void
  close(): void
}

/** How soon (ms) a peer answers a newcomer's hello with its own heartbeat; newcomers of one burst share it. */
const ANSWER_MS = 100
/** Fewest ms between two answers. */
const ANSWER_GAP_MS = 1000

/** Sends a heartbeat now and then every `scheduler.heartbeatIntervalMs()` (a quarter lease, or a lease while the team is quiet). */
export function startHeartbeat (mesh: Mesh, scheduler: Scheduler, log: Logger): Heartbeat {
  const send = (): void => { mesh.publishPresence(scheduler.beat()).catch((err: unknown) => { log.debug({ err }, 'presence not sent') }) }
  let timer: NodeJS.Timeout | undefined
  let answering: NodeJS.Timeout | undefined
  let nextIsQuiet = false
  let lastAnswer = -Infinity
  let lastLending = -Infinity
  let closed = false
  const beat = (): void => {
    clearTimeout(timer)
    send()
    if (closed) return
    const every = scheduler.heartbeatIntervalMs()
    nextIsQuiet = every > presenceIntervalMs(scheduler.policy.leaseMs)
    timer = setTimeout(beat, every)
  }
  beat()
  return {
    send,
    nudge () {
      if (!closed && nextIsQuiet && !scheduler.quiet()) beat()
    },
    answer () {
      if (closed || answering !== undefined) return
      const wait = Math.max(ANSWER_MS, lastAnswer + ANSWER_GAP_MS - systemClock.monotonicMs())
      answering = setTimeout(() => {
        answering = undefined
        lastAnswer = systemClock.monotonicMs()
        beat()
      }, wait)
    },
    lendingChanged () {
      const now = systemClock.monotonicMs()
      if (closed || now - lastLending < ANSWER_GAP_MS) return
      lastLending = now
      beat()
    },
    close () {
      closed = true
      clearTimeout(timer)
      clearTimeout(answering)
    }
  }
}
