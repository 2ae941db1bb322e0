/**
 * Runs one step of a job: `bash -e -o pipefail -c <script>` in its own process group, with exactly
 * the env it is given (plus the step cookie), its output streamed to the caller, a timeout, a
 * cancel signal, process and memory limits, and a promise that no process of it outlives it.
 */
import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { z } from 'zod'
import { systemClock, type Clock, type Logger } from '@devq/core'
import { SandboxError } from '../errors.ts'
import { createStepCgroup, removeStepCgroupLater, type StepCgroup } from './cgroup.ts'
import { stepCommand, stepTarget, type StepTarget } from './command.ts'
import type { Containment } from './containment.ts'
import type { EarlyStep } from './early-step.ts'
import { spawnStep, type Exit, type StartedStep } from './spawn-step.ts'
import { pumpOutput, type OutputSink } from './output.ts'
import { lowPriorityPrefix } from './priority.ts'
import { STEP_COOKIE_VAR } from './proc.ts'
import { checkSandboxSpec, namespaceArgs, sandboxArgs, type SandboxSpec } from './sandbox.ts'
import { guardStep, type LimitHit } from './guard.ts'
import { createStepTree } from './tree.ts'

/** Time a stopped step gets between SIGTERM and SIGKILL unless it says otherwise, in ms. */
export const DEFAULT_GRACE_MS = 10_000
/** How long the pipes may still deliver after the step's tree is gone, in ms. */
const DRAIN_MS = 1_000
/** Largest script: Linux refuses a single argument over 32 pages (MAX_ARG_STRLEN), NUL included. */
export const MAX_SCRIPT_BYTES = 128 * 1024 - 1
/** Largest timer node runs faithfully (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1

/** What one step may use. */
export interface StepLimits {
  /** Tasks at once: processes, and in a cgroup also threads (a JVM or node needs dozens). */
  maxProcesses: number
  maxMemoryBytes: number
}

/** One step to run. */
export interface StepSpec {
  script: string
  /** The whole environment: the caller builds PATH, HOME, DEVQ_* and the rest. */
  env: Record<string, string>
  /** Working directory; must exist. */
  cwd: string
  /** Wall time the step may take before it is stopped as `timeout`, in ms. */
  timeoutMs: number
  /** Stops the step as `cancelled` when it aborts. */
  signal?: AbortSignal
  /** Time between SIGTERM and SIGKILL when the step is stopped or leaves processes behind, in ms. */
  graceMs?: number
  /** Runs the step in the bubblewrap sandbox. */
  sandbox?: SandboxSpec
  limits: StepLimits
  /**
   * Runs the step at low CPU and IO priority (niceness 10, best-effort IO level 7; see
   * priority.ts), for a machine someone is using.
   */
  lowPriority?: boolean
  /** Gets stdout and stderr, merged in the order the step wrote them, chunk by chunk. */
  onOutput: OutputSink
  /**
   * A process started for this step ahead of time, already in its cgroup (see early-step.ts).
   * Taken when it is still there and was made for the same limits; otherwise the step starts its own.
   */
  early?: EarlyStep
}

/** How a step ended. */
export type StepOutcome = 'succeeded' | 'failed' | 'timeout' | 'cancelled'

/** What became of one step. */
export interface StepResult {
  /** The top process's exit status; null when it died of a signal or never started. */
  exitCode: number | null
  /** The signal that ended the top process (`SIGKILL`), or null. */
  signal: string | null
  outcome: StepOutcome
  durationMs: number
  /**
   * Processes of the step, other than its top process, that had to be signaled: leftovers of a
   * step that exited, or the tree of a step that was stopped. Leftovers that a pid namespace's
   * end took down by itself are not seen, so not counted.
   */
  killed: number
  /** A limit the step ran into (the step then fails), or null. */
  limit: LimitHit | null
  /** Why the step did not start (bad input, missing cwd, spawn failure); the outcome is then `failed`. */
  error?: string
}

/** What `runStep` needs. */
export interface StepComponents {
  containment: Containment
  logger: Logger
  clock?: Clock
}

const noNul = (s: string): boolean => !s.includes('\0')
const StepInput = z.object({
  script: z.string().refine(noNul, 'holds a NUL byte').refine((s) => Buffer.byteLength(s) <= MAX_SCRIPT_BYTES, `is over ${MAX_SCRIPT_BYTES} bytes`),
  env: z.record(z.string().regex(/^[^=\0]+$/, 'names must be non-empty, without = or NUL'), z.string().refine(noNul, 'holds a NUL byte')),
  cwd: z.string().min(1).refine(noNul, 'holds a NUL byte'),
  timeoutMs: z.number().int().positive().max(MAX_TIMER_MS),
  graceMs: z.number().int().nonnegative().max(MAX_TIMER_MS).optional(),
  limits: z.object({ maxProcesses: z.number().int().positive(), maxMemoryBytes: z.number().int().positive() })
})

function checkInput (step: StepSpec): string | null {
  const parsed = StepInput.safeParse(step)
  if (parsed.success) return null
  return parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
}

interface Run { clock: Clock, logger: Logger, containment: Containment, started: number }

function notStarted (run: Run, outcome: StepOutcome, error?: string): StepResult {
  return { exitCode: null, signal: null, outcome, durationMs: run.clock.monotonicMs() - run.started, killed: 0, limit: null, ...(error === undefined ? {} : { error }) }
}

async function openCgroup (run: Run, limits: StepLimits): Promise<StepCgroup | null> {
  if (run.containment.cgroup === null) return null
  try {
    return await createStepCgroup(run.containment.cgroup, limits)
  } catch (err) {
    run.logger.warn({ err }, 'cannot make a cgroup for the step; limiting it by rlimit')
    return null
  }
}

/**
 * Runs one step to its end and resolves with its result once no process of it is left (its
 * cgroup, if any, is removed after that: see `settleStepCgroups`). Never
 * rejects for the step's own failures, bad input or a missing cwd (those are a `failed` result
 * with `error`); rejects with `SandboxError` when the step asks for a sandbox that cannot run here
 * or names bad sandbox paths. Steps may run concurrently; each has its own group, cgroup and cookie.
 */
export async function runStep (components: StepComponents, step: StepSpec): Promise<StepResult> {
  const clock = components.clock ?? systemClock
  const run: Run = { clock, logger: components.logger.child({ component: 'exec' }), containment: components.containment, started: clock.monotonicMs() }
  const invalid = checkInput(step)
  if (invalid !== null) return notStarted(run, 'failed', `invalid step: ${invalid}`)
  if (step.sandbox !== undefined) {
    if (run.containment.bwrap === null) throw new SandboxError('the step asks for the sandbox, but bubblewrap does not work here', { detail: 'no working bwrap' })
    await checkSandboxSpec(step.sandbox)
  }
  if (step.signal?.aborted === true) return notStarted(run, 'cancelled')
  const cwd = await stat(step.cwd).catch(() => null)
  if (cwd === null || !cwd.isDirectory()) return notStarted(run, 'failed', `the working directory ${step.cwd} does not exist`)
  const prefix = step.lowPriority === true ? await lowPriorityPrefix() : []
  const early = await step.early?.take(step.limits)
  const cgroup = early?.cgroup ?? await openCgroup(run, step.limits)
  try {
    return await launch(run, step, cgroup, prefix, early)
  } finally {
    if (cgroup !== null) removeStepCgroupLater(cgroup, run.logger)
  }
}

function commandFor (run: Run, step: StepSpec, cgroup: StepCgroup | null, prefix: readonly string[]): { file: string, args: string[], target: StepTarget, namespace: boolean, dieWithParent: boolean } {
  const { bash, bwrap, mode } = run.containment
  const namespace = bwrap !== null && (step.sandbox !== undefined || mode === 'namespace')
  const bwrapArgs = step.sandbox !== undefined ? sandboxArgs(step.sandbox, step.cwd) : namespaceArgs(step.cwd)
  const init = {
    bash,
    script: step.script,
    maxProcesses: cgroup?.limitsProcesses === true ? undefined : step.limits.maxProcesses,
    maxMemoryBytes: cgroup?.limitsMemory === true ? undefined : step.limits.maxMemoryBytes,
    bwrap: namespace && bwrap !== null ? { path: bwrap, args: bwrapArgs } : undefined,
    prefix
  }
  const target = stepTarget(init)
  return { ...stepCommand(bash, cgroup?.procsFiles ?? [], target), target, namespace, dieWithParent: bwrapArgs.includes('--die-with-parent') }
}

/**
 * Whether the step's pid namespace is known to be gone once bwrap has exited by itself. bwrap runs
 * its namespace's init with `--die-with-parent`: the kernel sends that init SIGKILL as bwrap exits,
 * before bwrap's exit can be reaped, and ending a namespace's init ends every process in it; a
 * process with SIGKILL pending runs no more code. So nothing of the step is left to look for (a
 * /proc scan costs 10 ms and more on a busy host). Without `--die-with-parent`, or when bwrap
 * itself died of a signal, the tree is scanned as for any step.
 */
function namespaceEnded (namespace: { on: boolean, dieWithParent: boolean }, exit: Exit): boolean {
  return namespace.on && namespace.dieWithParent && !('error' in exit) && exit.code !== null
}

type Early = Awaited<ReturnType<EarlyStep['take']>>

async function launch (run: Run, step: StepSpec, cgroup: StepCgroup | null, prefix: readonly string[], early: Early): Promise<StepResult> {
  const { file, args, target, namespace, dieWithParent } = commandFor(run, step, cgroup, prefix)
  const cookie = randomBytes(16).toString('hex')
  const env = { ...step.env, [STEP_COOKIE_VAR]: cookie }
  let started: StartedStep
  try {
    if (early !== undefined) {
      early.run({ ...target, cwd: step.cwd, env })
      started = early.started
    } else {
      started = spawnStep(file, args, { cwd: step.cwd, env, stdin: 'ignore' })
    }
  } catch (err) {
    return notStarted(run, 'failed', `cannot start the step: ${(err as Error).message}`)
  }
  const { child, exited } = started
  if (child.pid === undefined) {
    const failure = await exited
    return notStarted(run, 'failed', `cannot start the step: ${'error' in failure ? failure.error.message : 'no process'}`)
  }
  const output = pumpOutput([child.stdout, child.stderr], step.onOutput, run.logger)
  const tree = createStepTree({ top: child.pid, cookie, cgroup, namespace, clock: run.clock, logger: run.logger })
  const graceMs = step.graceMs ?? DEFAULT_GRACE_MS
  const guard = guardStep({ tree, cgroup, graceMs, timeoutMs: step.timeoutMs, signal: step.signal, maxProcesses: step.limits.maxProcesses, logger: run.logger })
  const exit = await exited
  guard.dispose()
  await guard.stopped()
  if (!namespaceEnded({ on: namespace, dieWithParent }, exit)) await tree.stop(graceMs)
  await output.drain(DRAIN_MS)
  const limit = guard.limit ?? await cgroup?.limitHit() ?? null
  return finish(run, exit, guard.reason, limit, tree.killed)
}

function finish (run: Run, exit: Exit, reason: 'timeout' | 'cancelled' | 'limit' | null, limit: LimitHit | null, killed: number): StepResult {
  const code = 'error' in exit ? null : exit.code
  const signal = 'error' in exit ? null : exit.signal
  let outcome: StepOutcome = code === 0 && limit === null ? 'succeeded' : 'failed'
  if (reason === 'timeout' || reason === 'cancelled') outcome = reason
  const result: StepResult = { exitCode: code, signal, outcome, durationMs: run.clock.monotonicMs() - run.started, killed, limit }
  if ('error' in exit) result.error = `the step process failed: ${exit.error.message}`
  const { durationMs, ...rest } = result
  run.logger.debug({ ...rest, duration_ms: durationMs, mode: run.containment.mode }, 'step finished')
  if (killed > 0) run.logger.info({ killed, reason }, 'ended processes the step left behind')
  return result
}
