/**
 * The command line that starts one step. A tiny bash prelude runs first, as the step's top
 * process: it merges stderr into stdout (one log, in the order the step wrote it), joins the
 * step's cgroups before anything else can fork, sets rlimits where no cgroup limits, and then
 * execs (so the pid, the process group and the environment stay the step's) into bwrap or straight
 * into `bash -e -o pipefail -c <script>`.
 */

/** What the prelude does before it execs the step. */
export interface StepCommandInit {
  /** Absolute path of bash. */
  bash: string
  script: string
  /**
   * RLIMIT_NPROC for the step, where no cgroup limits processes. It does not bind root (the
   * kernel lets CAP_SYS_RESOURCE and CAP_SYS_ADMIN past it), and it counts every process of the
   * user, not only the step's: the watcher in `runStep` is what holds a root runner's steps.
   */
  maxProcesses?: number
  /** RLIMIT_AS in bytes, where no cgroup limits memory. Address space, not resident memory: generous runtimes (the JVM, V8) reserve far more than they use. */
  maxMemoryBytes?: number
  /** bwrap's absolute path and arguments (before `--`), when the step runs in a pid namespace. */
  bwrap?: { path: string, args: readonly string[] }
  /** Programs that exec the rest at lower priority (see priority.ts), put before bwrap or bash. */
  prefix?: readonly string[]
}

/** Exit status of the prelude when it cannot set the step up; its message says which part failed. */
export const PRELUDE_FAILED = 125

// Positional parameters only: a shell variable here would overwrite an exported one of the step's
// env. (A BASH_ENV in that env is read by this prelude too, before it joins the cgroups; the
// process group and the cookie still hold what it starts.)
const PRELUDE = [
  'exec 2>&1',
  'if [ -n "$1" ]; then ulimit -u "$1" || { echo "devq: cannot set the process limit" ; exit 125; }; fi',
  'if [ -n "$2" ]; then ulimit -v "$2" || { echo "devq: cannot set the memory limit" ; exit 125; }; fi',
  'shift 2',
  'while [ "$1" != -- ]; do echo "$$" > "$1" || { echo "devq: cannot join cgroup $1"; exit 125; }; shift; done',
  'shift',
  'exec "$@"'
].join('\n')

/** What the step's top process is told: its rlimits (`''` for none; RLIMIT_AS in KiB) and what it execs. */
export interface StepTarget {
  nproc: string
  vmemKiB: string
  argv: string[]
}

/** The rlimits and the command line the prelude hands the step to. */
export function stepTarget (init: StepCommandInit): StepTarget {
  const nproc = init.maxProcesses === undefined ? '' : String(init.maxProcesses)
  const vmemKiB = init.maxMemoryBytes === undefined ? '' : String(Math.max(1, Math.floor(init.maxMemoryBytes / 1024)))
  const step = [init.bash, '-e', '-o', 'pipefail', '-c', init.script]
  return { nproc, vmemKiB, argv: [...(init.prefix ?? []), ...(init.bwrap === undefined ? step : [init.bwrap.path, ...init.bwrap.args, '--', ...step])] }
}

/** The program and arguments to spawn for one step: the prelude, which joins `cgroupProcs` and execs `target`. */
export function stepCommand (bash: string, cgroupProcs: readonly string[], target: StepTarget): { file: string, args: string[] } {
  return { file: bash, args: ['-c', PRELUDE, 'devq-step', target.nproc, target.vmemKiB, ...cgroupProcs, '--', ...target.argv] }
}
