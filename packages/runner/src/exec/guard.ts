/**
 * What stops a running step early: its timeout, its cancel signal, or its process limit. The
 * first of them to fire stops the tree and names the reason; later ones change nothing.
 */
import { FENCE_STOP, type Logger } from '@devq/core'
import type { StepCgroup } from './cgroup.ts'
import type { StepTree } from './tree.ts'

/** A limit a step ran into. */
export type LimitHit = 'processes' | 'memory'

/** Why a step was stopped before it ended by itself. */
export type StopReason = 'timeout' | 'cancelled' | 'limit'

/** How often the process limit is checked, in ms. Reading pids.events is cheap; a /proc scan less so. */
const CGROUP_POLL_MS = 100
const SCAN_POLL_MS = 250

/** What the guard watches. */
export interface GuardInit {
  tree: StepTree
  cgroup: StepCgroup | null
  graceMs: number
  timeoutMs: number
  signal?: AbortSignal
  /**
   * Where no cgroup limits processes, the tree is counted by /proc scan and stopped above this.
   * A fork bomb can outrun the scan for a moment, but not for long: it is the only process cap
   * a root runner without cgroups has.
   */
  maxProcesses: number
  logger: Logger
}

/** The watch over one running step. */
export interface StepGuard {
  readonly reason: StopReason | null
  readonly limit: LimitHit | null
  /** Resolves when the stop it started (if any) has ended the tree. Never rejects. */
  stopped(): Promise<void>
  /** Stops watching (once the top process has exited). Idempotent. */
  dispose(): void
}

/** Starts watching a step that has just been spawned. */
export function guardStep (init: GuardInit): StepGuard {
  let reason: StopReason | null = null
  let limit: LimitHit | null = null
  let stopping: Promise<void> = Promise.resolve()
  let checking = false
  const stop = (why: StopReason, hit: LimitHit | null = null): void => {
    if (reason !== null) return
    reason = why
    limit = hit
    // A runner cut off from the mesh must be done before another peer may start the job: no grace.
    const graceMs = why === 'cancelled' && init.signal?.reason === FENCE_STOP ? 0 : init.graceMs
    init.logger.info({ reason: why, limit: hit, grace_ms: graceMs }, 'stopping the step')
    stopping = init.tree.stop(graceMs)
  }
  const check = async (): Promise<void> => {
    if (checking || reason !== null) return
    checking = true
    try {
      if (init.cgroup?.limitsProcesses === true) {
        if (await init.cgroup.limitHit() === 'processes') stop('limit', 'processes')
      } else if ((await init.tree.members()).length > init.maxProcesses) {
        stop('limit', 'processes')
      }
    } catch (err) {
      init.logger.warn({ err }, 'cannot check the step process limit')
    } finally {
      checking = false
    }
  }
  const timer = setTimeout(() => { stop('timeout') }, init.timeoutMs)
  const poll = setInterval(() => { void check() }, init.cgroup?.limitsProcesses === true ? CGROUP_POLL_MS : SCAN_POLL_MS)
  const onAbort = (): void => { stop('cancelled') }
  init.signal?.addEventListener('abort', onAbort, { once: true })
  return {
    get reason () { return reason },
    get limit () { return limit },
    stopped: async () => { await stopping },
    dispose () {
      clearTimeout(timer)
      clearInterval(poll)
      init.signal?.removeEventListener('abort', onAbort)
    }
  }
}
