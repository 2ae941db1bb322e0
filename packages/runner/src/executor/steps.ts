/** A job's steps, one after another, their output masked into the attempt's log. */
import type { PlannedJob, PlannedStep } from '@devq/core'
import type { EarlyStep } from '../exec/early-step.ts'
import { runStep, type StepResult } from '../exec/step.ts'
import type { SandboxSpec } from '../exec/sandbox.ts'
import { stepHeaderLine } from '../logs/groups.ts'
import { createRedactor, type Redactor } from '../logs/redact.ts'
import type { LogWriter } from '../logs/writer.ts'
import type { AttemptRun, ExecutorComponents, ExecutorInit } from './types.ts'
import { stepEnv, type AttemptDirs } from './job-env.ts'

/** How the steps went: the first step that did not succeed decides. */
export interface StepsOutcome {
  outcome: StepResult['outcome']
  exitCode: number | null
  reason?: string
  /** The step could not even start (bad input, spawn failure): the runner's fault, not the job's. */
  notStarted?: boolean
}

interface StepsInput {
  run: AttemptRun
  planned: PlannedJob
  dirs: AttemptDirs
  secrets: Record<string, string>
  log: LogWriter
  /** The first step's process, started early (see early-step.ts). */
  early?: EarlyStep
}

/** Whether this attempt's steps run in bubblewrap: the job needs it, or the runner always sandboxes. */
export function sandboxed (init: ExecutorInit, planned: PlannedJob): boolean {
  return init.sandbox === 'always' || (init.sandbox === 'when-asked' && planned.sandbox)
}

/**
 * The needs dir and the mirror (which the worktree's `.git` points into) are shown read-only:
 * under the host's /tmp they would otherwise be hidden by the sandbox's own /tmp.
 */
function sandboxSpec (planned: PlannedJob, dirs: AttemptDirs, mirror: string, hidden: readonly string[]): SandboxSpec {
  return { workspace: dirs.workspace, tmp: dirs.tmp, network: planned.network && !planned.sensitive, readOnly: [dirs.needs, mirror], hidden: [...hidden] }
}

/** Output goes through the redactor and into the log in order, one write at a time. */
function sink (redactor: Redactor, log: LogWriter): { write: (chunk: Uint8Array) => Promise<void>, flush: () => Promise<void> } {
  let chain = Promise.resolve()
  const put = (bytes: Uint8Array): Promise<void> => {
    if (bytes.length === 0) return chain
    chain = chain.then(async () => { await log.write(bytes) })
    return chain
  }
  return {
    write: async (chunk) => { await put(redactor.write(chunk)) },
    flush: async () => { await put(redactor.flush()) }
  }
}

function describe (step: PlannedStep, r: StepResult): string {
  const took = `${(r.durationMs / 1000).toFixed(1)} s`
  if (r.outcome === 'succeeded') return `step ${step.name} succeeded in ${took}`
  if (r.outcome === 'timeout') return `step ${step.name} timed out after ${took} (limit ${Math.round(step.timeoutMs / 1000)} s)`
  if (r.outcome === 'cancelled') return `step ${step.name} was cancelled after ${took}`
  const limit = r.limit === null ? '' : ` (${r.limit === 'processes' ? 'process' : 'memory'} limit reached)`
  const why = r.error ?? (r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit code ${r.exitCode}`)
  return `step ${step.name} failed: ${why}${limit} after ${took}`
}

/** Runs the steps in order until one does not succeed. The job's timeout is the caller's. */
export async function runSteps (c: ExecutorComponents, init: ExecutorInit, x: StepsInput): Promise<StepsOutcome> {
  const inBox = sandboxed(init, x.planned)
  const redactor = createRedactor(Object.values(x.secrets))
  const out = sink(redactor, x.log)
  const started = c.clock.monotonicMs()
  for (const [i, step] of x.planned.steps.entries()) {
    x.run.report({ phase: 'running', step: step.name.slice(0, 200) })
    await out.write(Buffer.from(stepHeaderLine(step.name)))
    const left = x.planned.timeoutMs - (c.clock.monotonicMs() - started)
    const result = await runStep({ containment: c.containment, logger: c.logger, clock: c.clock }, {
      script: step.run,
      env: stepEnv({ job: x.run.job, attempt: x.run.attempt, planned: x.planned, step, dirs: x.dirs, sandboxed: inBox, secrets: x.secrets, base: init.baseEnv }),
      cwd: x.dirs.workspace,
      timeoutMs: Math.max(1, Math.floor(Math.min(step.timeoutMs, left))),
      signal: x.run.signal,
      ...(init.graceMs === undefined ? {} : { graceMs: init.graceMs }),
      ...(inBox ? { sandbox: sandboxSpec(x.planned, x.dirs, c.mirrors.pathOf(x.run.job.repo), init.hiddenPaths ?? []) } : {}),
      limits: init.limits,
      lowPriority: init.lowPriority?.() === true,
      onOutput: out.write,
      ...(i === 0 && x.early !== undefined ? { early: x.early } : {})
    })
    await out.flush()
    const line = describe(step, result)
    await x.log.note(line)
    if (result.outcome !== 'succeeded') return { outcome: result.outcome, exitCode: result.exitCode, reason: line, ...(result.error === undefined ? {} : { notStarted: true }) }
  }
  return { outcome: 'succeeded', exitCode: 0 }
}
