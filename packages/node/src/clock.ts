import { systemClock, type Clock, type Logger } from '@devq/core'

/** A wall clock set wrong on purpose, for tests and the chaos suite; both zero by default. */
export interface ClockFault {
  /** How far this node's wall clock is ahead of the system's from the start (ms; negative: behind). */
  offsetMs: number
  /** How far it steps on each SIGUSR2 (ms; negative: back), like an NTP step or a user setting the time. */
  stepMs: number
}

/** A node's clock and how to let go of the signal handler it may hold. */
export interface NodeClock {
  clock: Clock
  close(): void
}

/**
 * The clock a node runs on: the system's, with the wall clock moved by `fault`. The monotonic clock
 * is never touched, so leases and fences stay honest while wall times (event times, presence,
 * aging) are wrong, as on a machine whose clock is off.
 */
export function createNodeClock ({ logger }: { logger: Logger }, { fault }: { fault: ClockFault }): NodeClock {
  if (fault.offsetMs === 0 && fault.stepMs === 0) return { clock: systemClock, close: () => {} }
  let offsetMs = fault.offsetMs
  const log = logger.child({ component: 'clock' })
  const step = (): void => {
    offsetMs += fault.stepMs
    log.warn({ offset_ms: offsetMs }, 'wall clock stepped')
  }
  if (fault.stepMs !== 0) process.on('SIGUSR2', step)
  log.warn({ offset_ms: offsetMs, step_ms: fault.stepMs }, 'running on a wall clock set off on purpose')
  return {
    clock: { monotonicMs: () => systemClock.monotonicMs(), wallMs: () => systemClock.wallMs() + offsetMs },
    close: () => { process.off('SIGUSR2', step) }
  }
}
