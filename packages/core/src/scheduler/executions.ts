import type { Clock, Logger } from '../ports.ts'
import type { JobState } from '../fold/types.ts'
import type { AttemptReport, JobExecutor, LedgerView, Publish } from './ports.ts'

/** Why this peer stopped one of its own attempts. */
export type StopReason = 'timeout' | 'revoked' | 'cut_off' | 'stopped'

interface Execution {
  attempt: number
  controller: AbortController
  startedMs: number
  stop?: StopReason
  done: Promise<void>
}

/** The attempts this peer is running, kept in line with the fold on every reconcile. */
export interface Executions {
  /**
   * Starts attempts awarded to this peer; stops ones revoked (cancelled, lost, superseded) or
   * overdue; hands back (writes `lost` for) attempts the fold says this peer runs but it does not,
   * e.g. after a restart or a cut-off.
   */
  reconcile(view: LedgerView): Promise<void>
  /** Stops every attempt (of the jobs `which` selects) without reporting it; the mesh judges it lost. */
  stopAll(reason: StopReason, which?: (job: string) => boolean): void
  /** Writes `lost` for every attempt the fold gives this peer that it is not running (at shutdown). */
  handBack(view: LedgerView): Promise<void>
  /** Job ids being run. */
  ids(): string[]
  /** Resolves when every started attempt has ended and reported. */
  settled(): Promise<void>
}

export interface ExecutionsComponents {
  executor: JobExecutor
  publish: Publish
  clock: Clock
  logger: Logger
}

function mine (job: JobState | undefined, peerId: string, attempt: number): boolean {
  if (job === undefined || job.attempt !== attempt) return false
  if (job.status !== 'awarded' && job.status !== 'running') return false
  return job.attempts.find((a) => a.n === attempt)?.runner === peerId
}

export function createExecutions (components: ExecutionsComponents, peerId: string): Executions {
  const { executor, publish, clock, logger } = components
  const running = new Map<string, Execution>()
  const handedBack = new Set<string>()

  async function report (job: JobState, exec: Execution, report: AttemptReport): Promise<void> {
    const runMs = Math.max(0, Math.round(clock.monotonicMs() - exec.startedMs))
    const durations = { runMs, totalMs: runMs + (report.fetchMs ?? 0), ...(report.fetchMs === undefined ? {} : { fetchMs: Math.round(report.fetchMs) }) }
    if (exec.stop === 'timeout') {
      await publish('job.finished', { job: job.id, attempt: exec.attempt, status: 'failed', exitCode: null, failure: 'timeout', durations, artifacts: [], logDigest: report.logDigest })
    } else if (exec.stop === undefined) {
      const body = { job: job.id, attempt: exec.attempt, status: report.status, exitCode: report.exitCode, durations, artifacts: report.artifacts, logDigest: report.logDigest }
      await publish('job.finished', report.failure === undefined ? body : { ...body, failure: report.failure })
    }
  }

  function start (job: JobState): void {
    const controller = new AbortController()
    const exec: Execution = { attempt: job.attempt, controller, startedMs: clock.monotonicMs(), done: Promise.resolve() }
    running.set(job.id, exec)
    const log = logger.child({ job_id: job.id })
    log.info({ attempt: job.attempt }, 'attempt started')
    exec.done = (async () => {
      await publish('job.started', { job: job.id, attempt: job.attempt })
      let result: AttemptReport
      try {
        result = await executor.run(job, job.attempt, controller.signal)
      } catch (err) {
        log.error({ err }, 'executor failed')
        result = { status: 'failed', exitCode: null, failure: 'runner_error', artifacts: [], logDigest: null }
      }
      await report(job, exec, result)
      log.info({ attempt: job.attempt, status: result.status, stop: exec.stop }, 'attempt ended')
    })().catch((err: unknown) => log.error({ err }, 'attempt could not be reported')).finally(() => {
      if (running.get(job.id) === exec) running.delete(job.id)
    })
  }

  async function handBackOne (job: JobState): Promise<void> {
    handedBack.add(`${job.id}:${job.attempt}`)
    logger.warn({ job_id: job.id, attempt: job.attempt }, 'handing back an attempt this peer does not run')
    await publish('job.lost', { job: job.id, attempt: job.attempt, runner: peerId, reason: 'runner_lost' })
  }

  function stop (exec: Execution, reason: StopReason): void {
    if (exec.stop !== undefined) return
    exec.stop = reason
    exec.controller.abort(reason)
  }

  return {
    async reconcile (view) {
      const orphans: JobState[] = []
      for (const job of view.openJobs()) {
        if (running.has(job.id) || !mine(job, peerId, job.attempt)) continue
        if (job.status === 'awarded') start(job)
        else if (!handedBack.has(`${job.id}:${job.attempt}`)) orphans.push(job)
      }
      const now = clock.monotonicMs()
      for (const [id, exec] of running) {
        const job = view.job(id)
        if (!mine(job, peerId, exec.attempt)) stop(exec, 'revoked')
        else if (job!.timeoutMs > 0 && now - exec.startedMs > job!.timeoutMs) stop(exec, 'timeout')
      }
      for (const job of orphans) await handBackOne(job)
    },
    async handBack (view) {
      for (const job of [...view.openJobs()]) {
        if (!running.has(job.id) && mine(job, peerId, job.attempt) && !handedBack.has(`${job.id}:${job.attempt}`)) await handBackOne(job)
      }
    },
    stopAll (reason, which = () => true) {
      for (const [id, exec] of running) if (which(id)) stop(exec, reason)
    },
    ids: () => [...running.keys()],
    async settled () {
      while (running.size > 0) await Promise.all([...running.values()].map(async (e) => await e.done))
    }
  }
}
