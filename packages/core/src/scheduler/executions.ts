import type { Clock, Logger, Signer } from '../ports.ts'
import type { BodyOf } from '../events/bodies.ts'
import type { JobState } from '../fold/types.ts'
import { attemptFacts, signProvenance } from '../provenance/statement.ts'
import type { AttemptReport, JobExecutor, LedgerView, Publish } from './ports.ts'
import { runClaim } from './presence.ts'

/** Why this peer stopped one of its own attempts. */
export type StopReason = 'timeout' | 'revoked' | 'cut_off' | 'stopped'

/**
 * The abort reason of an attempt stopped because its runner is cut off from the mesh: another
 * peer may start the job once the fence margin has passed, so the steps must end at once.
 */
export const FENCE_STOP: StopReason = 'cut_off'

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
   * e.g. after a restart or a cut-off. An award of a job that another peer claims to run (see
   * PresenceInfo.runs) waits: it is stale, or the other run is still stopping. With `refuseNew`
   * (the peer's user turned sharing off after it bid), a new award is handed back, not started.
   */
  reconcile(view: LedgerView, claimedElsewhere?: ReadonlySet<string>, refuseNew?: boolean): Promise<void>
  /** Stops every attempt (of the jobs `which` selects) without reporting it; the mesh judges it lost. */
  stopAll(reason: StopReason, which?: (job: string) => boolean): void
  /**
   * The next reconcile hands back, instead of starting, attempts awarded to this peer that it has
   * not started: after a restart or a partition, such an award may have been judged lost meanwhile.
   */
  distrustAwards(): void
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
  /**
   * With `view`, signs the provenance of every finish this peer writes for its own attempts (see
   * provenance/statement.ts); without them, finishes carry none.
   */
  signer?: Signer
  view?: LedgerView
}

function mine (job: JobState | undefined, peerId: string, attempt: number): boolean {
  if (job === undefined || job.attempt !== attempt) return false
  if (job.status !== 'awarded' && job.status !== 'running') return false
  return job.attempts.find((a) => a.n === attempt)?.runner === peerId
}

/** The attempts this peer runs; see `Executions`. */
class RunningAttempts implements Executions {
  private readonly running = new Map<string, Execution>()
  private readonly handedBack = new Set<string>()
  /** The first reconcile sees only what the ledger held at start, which may be stale. */
  private stale = true
  private readonly c: ExecutionsComponents
  private readonly peerId: string

  constructor (components: ExecutionsComponents, peerId: string) {
    this.c = components
    this.peerId = peerId
  }

  async reconcile (view: LedgerView, claimedElsewhere: ReadonlySet<string> = new Set(), refuseNew = false): Promise<void> {
    const orphans: JobState[] = []
    // An award found in the ledger at start may have been judged lost while this peer was away,
    // with the next attempt running elsewhere: it is handed back, never started.
    const fresh = !this.stale
    this.stale = false
    for (const job of view.openJobs()) {
      if (this.running.has(job.id) || !mine(job, this.peerId, job.attempt)) continue
      if (job.status === 'awarded' && fresh && !refuseNew) {
        if (!claimedElsewhere.has(runClaim(job.id))) this.start(job)
      } else if (!this.handedBack.has(`${job.id}:${job.attempt}`)) orphans.push(job)
    }
    const now = this.c.clock.monotonicMs()
    for (const [id, exec] of this.running) {
      const job = view.job(id)
      if (!mine(job, this.peerId, exec.attempt)) stop(exec, 'revoked')
      else if (job!.timeoutMs > 0 && now - exec.startedMs > job!.timeoutMs) stop(exec, 'timeout')
    }
    for (const job of orphans) await this.handBackOne(job)
  }

  async handBack (view: LedgerView): Promise<void> {
    for (const job of [...view.openJobs()]) {
      if (!this.running.has(job.id) && mine(job, this.peerId, job.attempt) && !this.handedBack.has(`${job.id}:${job.attempt}`)) await this.handBackOne(job)
    }
  }

  distrustAwards (): void {
    this.stale = true
  }

  stopAll (reason: StopReason, which: (job: string) => boolean = () => true): void {
    for (const [id, exec] of this.running) if (which(id)) stop(exec, reason)
  }

  ids (): string[] {
    return [...this.running.keys()]
  }

  async settled (): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map(async (e) => await e.done))
  }

  private start (job: JobState): void {
    const controller = new AbortController()
    const exec: Execution = { attempt: job.attempt, controller, startedMs: this.c.clock.monotonicMs(), done: Promise.resolve() }
    this.running.set(job.id, exec)
    const log = this.c.logger.child({ job_id: job.id })
    log.info({ attempt: job.attempt }, 'attempt started')
    exec.done = (async () => {
      // The source fetch does not wait for the started event's signing and storing (tens of ms on
      // a loaded laptop); the steps and the finish do.
      const started = this.c.publish('job.started', { job: job.id, attempt: job.attempt }).then(() => {})
      started.catch(() => { controller.abort() })
      let result: AttemptReport
      try {
        result = await this.c.executor.run(job, job.attempt, controller.signal, started)
      } catch (err) {
        log.error({ err }, 'executor failed')
        result = { status: 'failed', exitCode: null, failure: 'runner_error', artifacts: [], logDigest: null }
      }
      await started
      await this.report(job, exec, result)
      log.info({ attempt: job.attempt, status: result.status, stop: exec.stop }, 'attempt ended')
    })().catch((err: unknown) => log.error({ err }, 'attempt could not be reported')).finally(() => {
      if (this.running.get(job.id) === exec) this.running.delete(job.id)
    })
  }

  /** Writes the attempt's finish, unless this peer stopped it for a reason the mesh judges instead. */
  private async report (job: JobState, exec: Execution, report: AttemptReport): Promise<void> {
    // The executor's fetch is part of the attempt: total is the whole attempt, run what is left of it.
    const totalMs = Math.max(0, Math.round(this.c.clock.monotonicMs() - exec.startedMs))
    const fetchMs = report.fetchMs === undefined ? undefined : Math.min(totalMs, Math.round(report.fetchMs))
    const durations = { runMs: totalMs - (fetchMs ?? 0), totalMs, ...(fetchMs === undefined ? {} : { fetchMs }) }
    if (exec.stop === 'timeout') {
      await this.finish(job, { job: job.id, attempt: exec.attempt, status: 'failed', exitCode: null, failure: 'timeout', durations, artifacts: [], logDigest: report.logDigest })
    } else if (exec.stop === undefined) {
      await this.finish(job, {
        job: job.id, attempt: exec.attempt, status: report.status, exitCode: report.exitCode, durations, artifacts: report.artifacts, logDigest: report.logDigest,
        ...(report.failure === undefined ? {} : { failure: report.failure }),
        ...(report.fetched === undefined ? {} : { fetched: report.fetched }),
        ...(report.reason === undefined ? {} : { reason: report.reason.slice(0, 512) })
      })
    }
  }

  /** Writes a finish, with the runner's provenance signature when this peer signs them. */
  private async finish (job: JobState, body: BodyOf<'job.finished'>): Promise<void> {
    const { signer, view } = this.c
    // The statement's start is the ledger's: the time of this runner's own started event.
    const startedAt = view?.job(job.id)?.attempts.find((a) => a.n === body.attempt && a.runner === this.peerId)?.startedAt
    if (signer === undefined || signer.peerId !== this.peerId || startedAt === undefined) {
      await this.c.publish('job.finished', body)
      return
    }
    let sig: string | undefined
    try {
      sig = await signProvenance(signer, attemptFacts(job, this.peerId, startedAt, body))
    } catch (err) {
      // The finish matters more than its provenance: without a signature it still ends the attempt.
      this.c.logger.error({ err, job_id: job.id, attempt: body.attempt }, 'provenance not signed')
    }
    if (sig === undefined) {
      await this.c.publish('job.finished', body)
      return
    }
    await this.c.publish('job.finished', { ...body, provenance: { sig } }).catch(async (err: unknown) => {
      // A finish that fits only without the signature's 100-odd bytes is written without it.
      if ((err as { name?: string }).name !== 'EventEncodeError') throw err
      this.c.logger.warn({ err, job_id: job.id, attempt: body.attempt }, 'finish written without its provenance')
      await this.c.publish('job.finished', body)
    })
  }

  private async handBackOne (job: JobState): Promise<void> {
    // Only open jobs can be handed back again; forgetting old keys cannot write a second `lost`.
    if (this.handedBack.size > 10_000) this.handedBack.clear()
    this.handedBack.add(`${job.id}:${job.attempt}`)
    this.c.logger.warn({ job_id: job.id, attempt: job.attempt }, 'handing back an attempt this peer does not run')
    await this.c.publish('job.lost', { job: job.id, attempt: job.attempt, runner: this.peerId, reason: 'runner_lost' })
  }
}

function stop (exec: Execution, reason: StopReason): void {
  if (exec.stop !== undefined) return
  exec.stop = reason
  exec.controller.abort(reason)
}

/** Creates the runner side of a scheduler: nothing runs until the first `reconcile`. */
export function createExecutions (components: ExecutionsComponents, { peerId }: { peerId: string }): Executions {
  return new RunningAttempts(components, peerId)
}
