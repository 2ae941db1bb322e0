/** The environment a step sees: a small base, the pipeline's env, DevQ's own variables, secrets. */
import { LOADER_ENV, type JobState, type PlannedJob, type PlannedStep } from '@devq/core'

/** Variables passed through from the runner's own environment when set. */
const PASSED = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'USER', 'LOGNAME', 'SHELL'] as const
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin'

/** Where one attempt's files live on the runner. */
export interface AttemptDirs {
  workspace: string
  /** Scratch space: TMPDIR, and HOME under it. */
  tmp: string
  /** `$DEVQ_NEEDS_DIR`: the artifacts of the jobs it needs, one folder per job. */
  needs: string
}

/** The branch name of a ref: `refs/heads/main` -> `main`; other refs stay as they are. */
export function branchOf (ref: string): string {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref
}

/**
 * The whole environment of one step. Later sources win: base < step env (global < job < matrix <
 * step) < DevQ's variables < secrets. In the sandbox HOME and TMPDIR are /tmp (the mount of `tmp`).
 */
export function stepEnv (x: { job: JobState, attempt: number, planned: PlannedJob, step: PlannedStep, dirs: AttemptDirs, sandboxed: boolean, secrets: Record<string, string>, base: NodeJS.ProcessEnv }): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of PASSED) {
    const v = x.base[name]
    if (v !== undefined) env[name] = v
  }
  env.PATH ??= DEFAULT_PATH
  env.HOME = x.sandboxed ? '/tmp/home' : `${x.dirs.tmp}/home`
  env.TMPDIR = x.sandboxed ? '/tmp' : x.dirs.tmp
  Object.assign(env, x.step.env)
  Object.assign(env, {
    CI: 'true',
    DEVQ: 'true',
    DEVQ_SHA: x.job.commit,
    DEVQ_REF: x.job.ref,
    DEVQ_BRANCH: branchOf(x.job.ref),
    DEVQ_REPO: x.job.repo,
    DEVQ_JOB: x.planned.id,
    DEVQ_JOB_ID: x.job.id,
    DEVQ_RUN: x.job.run ?? '',
    DEVQ_ATTEMPT: String(x.attempt),
    DEVQ_WORKSPACE: x.dirs.workspace,
    DEVQ_NEEDS_DIR: x.dirs.needs
  })
  Object.assign(env, x.secrets)
  // The loader and bash act on these in the runner's own processes (the prelude, bwrap) before the
  // step's script runs: outside the sandbox. The planner refuses them; an announce from elsewhere
  // may still carry them.
  for (const name of Object.keys(env)) if (LOADER_ENV.test(name)) delete env[name]
  return env
}
