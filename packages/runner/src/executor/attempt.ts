/** The phases of one attempt; see executor.ts. Every phase reports through the attempt's log. */
import { mkdir } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import type { ArtifactRef, AttemptReport, FailureKind, JobState, PlannedJob } from '@devq/core'
import { collectArtifacts } from '../artifacts/collect.ts'
import { startEarlyStep, type EarlyStep } from '../exec/early-step.ts'
import { fetchSource, type FetchResult } from '../git/fetch.ts'
import type { Workspace } from '../git/workspaces.ts'
import type { LogSummary, LogWriter } from '../logs/writer.ts'
import { requestSecrets } from '../secrets.ts'
import type { AttemptRun, ExecutorComponents, ExecutorInit } from './types.ts'
import { placeNeeds } from './needs-input.ts'
import { planOf } from './plan-read.ts'
import { runSteps } from './steps.ts'

/** How an attempt ended before its steps could finish, as the report says it. */
class AttemptStop extends Error {
  override readonly name = 'AttemptStop'
  readonly failure: FailureKind | 'cancelled'
  constructor (failure: FailureKind | 'cancelled', message: string) {
    super(message)
    this.failure = failure
  }
}

const short = (text: string): string => (text.length > 500 ? `${text.slice(0, 497)}...` : text)

function ended (summary: LogSummary, status: AttemptReport['status'], extra: Partial<AttemptReport> = {}): AttemptReport {
  return { status, exitCode: null, artifacts: [], logDigest: summary.digest, ...extra }
}

/** Rounds of asking every peer for the source while none could serve it (a peer just joined, say). */
const FETCH_ROUNDS = 3

/** Peers to ask for a job's source: the origin first (this peer itself, when it builds its own commit), then every other live peer. */
export function sourcePeers (c: Pick<ExecutorComponents, 'peers'>, init: Pick<ExecutorInit, 'peerId'>, job: JobState): string[] {
  return [job.origin, ...c.peers().filter((p) => p !== init.peerId)].filter((p, i, all) => all.indexOf(p) === i)
}

/** Resolves with `work`, or with undefined as soon as `signal` aborts (the work goes on unheeded). */
async function unlessAborted<T> (work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return undefined
  let onAbort!: () => void
  const aborted = new Promise<undefined>((resolve) => { onAbort = () => { resolve(undefined) } })
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await Promise.race([work, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** Brings the commit into the mirror; the result's `ms` is how long the attempt itself waited. */
async function fetchPhase (c: ExecutorComponents, init: ExecutorInit, run: AttemptRun, log: LogWriter): Promise<FetchResult> {
  const { job } = run
  const t0 = c.clock.monotonicMs()
  for (let round = 1; ; round++) {
    try {
      // A fetch begun when this peer bid has usually brought the commit already; it is what moved.
      const early = round === 1 && run.prefetched !== undefined ? await unlessAborted(run.prefetched, run.signal) : undefined
      if (run.signal.aborted) throw new AttemptStop('cancelled', 'stopped while fetching source')
      const now = await fetchSource({ mirrors: c.mirrors, dial: async (p) => await c.dial(p, 'git'), logger: c.logger }, {
        repo: job.repo, commit: job.commit, peers: sourcePeers(c, init, job), signal: run.signal, ...(init.transferIdleMs === undefined ? {} : { idleMs: init.transferIdleMs }),
        onProgress: (p) => { run.report({ phase: 'fetching', bytes: p.bytes, objects: p.objects }) }
      })
      const got = now.alreadyHad && early !== undefined && !early.alreadyHad ? early : now
      const when = got === early ? ' while bidding' : ''
      await log.note(got.alreadyHad
        ? `source ${job.commit.slice(0, 12)} was already in this peer's mirror`
        : `fetched ${job.commit.slice(0, 12)}${when}: ${got.objects} objects, ${got.bytes} bytes from ${got.peer} in ${Math.round(got.ms)} ms`)
      return { ...got, ms: c.clock.monotonicMs() - t0 }
    } catch (err) {
      if (err instanceof AttemptStop) throw err
      if (run.signal.aborted) throw new AttemptStop('cancelled', 'stopped while fetching source')
      const unavailable = (err as { data?: { reason?: string } }).data?.reason === 'unavailable'
      if (!unavailable || round >= FETCH_ROUNDS) throw new AttemptStop('source_failed', (err as Error).message)
      await log.note(`no peer could serve the source yet (${(err as Error).message}); asking again`)
      await sleep(1000 * round, undefined, { signal: run.signal }).catch(() => {})
    }
  }
}

async function planPhase (c: ExecutorComponents, run: AttemptRun): Promise<PlannedJob> {
  try {
    return (await planOf(c.mirrors.pathOf(run.job.repo), run.job)).job
  } catch (err) {
    throw new AttemptStop('runner_error', (err as Error).message)
  }
}

async function inputsPhase (c: ExecutorComponents, init: ExecutorInit, run: AttemptRun, planned: PlannedJob, needsDir: string, log: LogWriter): Promise<Record<string, string>> {
  try {
    const placed = await placeNeeds({ view: c.view, store: c.artifacts, dial: async (p) => await c.dial(p, 'artifacts'), peers: c.peers, selfId: init.peerId }, run.job, needsDir, run.signal)
    if (placed > 0) await log.note(`placed ${placed} artifact(s) of needed jobs under $DEVQ_NEEDS_DIR`)
  } catch (err) {
    throw new AttemptStop('source_failed', `artifacts of a needed job: ${(err as Error).message}`)
  }
  if (planned.secrets.length === 0) return {}
  try {
    const secrets = await requestSecrets(await c.dial(run.job.origin, 'secrets'), run.job.id, run.attempt)
    const missing = planned.secrets.filter((n) => secrets[n] === undefined)
    if (missing.length > 0) throw new Error(`the origin sent no value for ${missing.join(', ')}`)
    await log.note(`received secrets ${planned.secrets.join(', ')} from the origin`)
    return Object.fromEntries(planned.secrets.map((n) => [n, secrets[n]!]))
  } catch (err) {
    throw new AttemptStop('runner_error', `secrets: ${(err as Error).message}`)
  }
}

async function collectPhase (c: ExecutorComponents, run: AttemptRun, planned: PlannedJob, ws: Workspace, log: LogWriter): Promise<ArtifactRef[]> {
  if (planned.artifacts.length === 0) return []
  run.report({ phase: 'collecting' })
  try {
    const t0 = c.clock.monotonicMs()
    const refs = await collectArtifacts({ workspace: ws.dir, specs: planned.artifacts, store: c.artifacts, logger: c.logger })
    for (const r of refs) await log.note(`artifact ${r.name} (${r.kind}, ${r.file ?? ''}): ${r.size} bytes, ${r.digest}`)
    await log.note(`collected ${refs.length} artifact(s) in ${Math.round(c.clock.monotonicMs() - t0)} ms`)
    return refs
  } catch (err) {
    throw new AttemptStop('runner_error', `artifacts: ${(err as Error).message}`)
  }
}

/** Runs the attempt through every phase and always closes its log. Never throws. */
export async function runAttempt (c: ExecutorComponents, init: ExecutorInit, run: AttemptRun): Promise<AttemptReport> {
  const log = await c.logs.open(run.job.id, run.attempt)
  let early: EarlyStep | undefined
  let fetched: FetchResult | undefined
  let ws: Workspace | undefined
  try {
    await log.note(`attempt ${run.attempt} of ${run.job.pipelineJob} on ${init.peerId}: commit ${run.job.commit} (${run.job.ref})`)
    fetched = await fetchPhase(c, init, run, log)
    // Its cgroup join waits out a kernel grace period, which passes while the workspace is made.
    early = startEarlyStep(c.containment, init.limits, c.logger)
    await run.started?.catch((err: unknown) => { throw new AttemptStop('runner_error', `the start of this attempt could not be written to the ledger: ${(err as Error).message}`) })
    const t0 = c.clock.monotonicMs()
    const planned = await planPhase(c, run)
    // The label keeps such jobs off this peer; this holds even if the label was got around.
    if (planned.sandbox && init.sandbox === 'never') throw new AttemptStop('runner_error', 'the job needs the sandbox (sensitive or network: false), and this runner runs steps without one')
    run.report({ phase: 'preparing', bytes: fetched.bytes, objects: fetched.objects })
    const t1 = c.clock.monotonicMs()
    ws = await c.workspaces.prepare({ repo: run.job.repo, commit: run.job.commit, key: planned.id, mode: planned.workspace })
    await log.note(`planned in ${Math.round(t1 - t0)} ms; ${planned.workspace} workspace ${ws.warm ? '(warm)' : '(fresh)'} ready in ${Math.round(c.clock.monotonicMs() - t1)} ms`)
    const dirs = { workspace: ws.dir, tmp: join(run.scratch, 'tmp'), needs: join(run.scratch, 'needs') }
    await Promise.all([mkdir(join(dirs.tmp, 'home'), { recursive: true }), mkdir(dirs.needs, { recursive: true })])
    const secrets = await inputsPhase(c, init, run, planned, dirs.needs, log)
    const steps = await runSteps(c, init, { run, planned, dirs, secrets, log, early })
    const extra = { fetchMs: fetched.ms, exitCode: steps.exitCode }
    if (steps.outcome === 'cancelled') return ended(await log.close(), 'cancelled', extra)
    if (steps.outcome !== 'succeeded') return ended(await log.close(), 'failed', { ...extra, failure: steps.outcome === 'timeout' ? 'timeout' : steps.notStarted === true ? 'runner_error' : 'exit_code', reason: steps.reason })
    const artifacts = await collectPhase(c, run, planned, ws, log)
    run.report({ phase: 'done', bytes: fetched.bytes, objects: fetched.objects })
    return { ...ended(await log.close(), 'succeeded', extra), artifacts, fetched: { bytes: fetched.bytes, objects: fetched.objects } }
  } catch (err) {
    const stop = err instanceof AttemptStop ? err : new AttemptStop('runner_error', (err as Error).message)
    await log.note(stop.failure === 'cancelled' ? stop.message : `failed (${stop.failure}): ${stop.message}`).catch(() => {})
    const summary = await log.close()
    if (stop.failure === 'cancelled') return ended(summary, 'cancelled')
    return ended(summary, 'failed', { failure: stop.failure, reason: short(stop.message), ...(fetched === undefined ? {} : { fetchMs: fetched.ms }) })
  } finally {
    early?.dispose()
    await ws?.release().catch((err: unknown) => { c.logger.warn({ err, job_id: run.job.id }, 'workspace release failed') })
  }
}
