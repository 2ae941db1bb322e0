/**
 * A step's top process started ahead of its step. Moving a process into a cgroup waits for an RCU
 * grace period on many kernels (10 to 30 ms on cgroup v1, measured on this project's machines),
 * and the prelude does that before the step may run anything. An attempt starts its first step's
 * process while its source is still being fetched: the process joins a fresh cgroup, then waits
 * for its command on stdin, which `runStep` writes once the workspace is ready. The command comes
 * whole or not at all (a last `devq-end` word); the environment is replaced by the step's own.
 */
import type { Logger } from '@devq/core'
import { createStepCgroup, removeStepCgroupLater, type CgroupLimits, type StepCgroup } from './cgroup.ts'
import type { Containment } from './containment.ts'
import type { StepTarget } from './command.ts'
import { spawnStep, type StartedStep } from './spawn-step.ts'
import { findExecutable } from './which.ts'

/** What an early step process is told once its step is ready. */
export interface EarlyCommand extends StepTarget {
  cwd: string
  env: Record<string, string>
}

/** One early step process; hand it to at most one step. */
export interface EarlyStep {
  /**
   * The process and its cgroup, ready for `run`; undefined when it could not be made or has ended
   * (the caller then starts its step the usual way). Taken once: later calls give undefined.
   */
  take(limits: CgroupLimits): Promise<{ cgroup: StepCgroup, started: StartedStep, run: (cmd: EarlyCommand) => void } | undefined>
  /** Ends the process and removes its cgroup if no step took them. Idempotent. */
  dispose(): void
}

const STUB = [
  'exec 2>&1',
  'for f; do echo "$$" > "$f" || { echo "devq: cannot join cgroup $f"; exit 125; }; done',
  'mapfile -d "" -t m || exit 125',
  'exec </dev/null',
  'n=${#m[@]}',
  'if [ "$n" -lt 7 ] || [ "${m[n-1]}" != devq-end ]; then echo "devq: the step command did not arrive whole"; exit 125; fi',
  'if [ -n "${m[0]}" ]; then ulimit -u "${m[0]}" || { echo "devq: cannot set the process limit"; exit 125; }; fi',
  'if [ -n "${m[1]}" ]; then ulimit -v "${m[1]}" || { echo "devq: cannot set the memory limit"; exit 125; }; fi',
  'cd -- "${m[2]}" || { echo "devq: cannot enter the working directory"; exit 125; }',
  'e=${m[3]}',
  'exec "${m[4]}" -i -- "${m[@]:5:e}" "${m[@]:5+e:n-6-e}"'
].join('\n')

let envProbe: Promise<string | null> | undefined

/** The NUL-separated words the stub reads: rlimits, cwd, env count, env binary, env pairs, argv, end. */
function message (envPath: string, cmd: EarlyCommand): Buffer {
  const pairs = Object.entries(cmd.env).map(([k, v]) => `${k}=${v}`)
  const words = [cmd.nproc, cmd.vmemKiB, cmd.cwd, String(pairs.length), envPath, ...pairs, ...cmd.argv, 'devq-end']
  return Buffer.from(words.map((w) => `${w}\0`).join(''))
}

interface Made { cgroup: StepCgroup, started: StartedStep, envPath: string }

async function make (containment: Containment, limits: CgroupLimits): Promise<Made | undefined> {
  if (containment.cgroup === null) return undefined
  envProbe ??= findExecutable('env')
  const envPath = await envProbe
  if (envPath === null) return undefined
  const cgroup = await createStepCgroup(containment.cgroup, limits)
  // Its stdin is a socket: without --norc, bash takes it for a remote shell's and reads ~/.bashrc.
  const started = spawnStep(containment.bash, ['--norc', '--noprofile', '-c', STUB, 'devq-step', ...cgroup.procsFiles], { cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdin: 'pipe' })
  started.child.stdin?.on('error', () => {})
  return { cgroup, started, envPath }
}

/**
 * Starts the early process of a step that will run under `containment` with `limits`. Without a
 * writable cgroup there is nothing to win, and none is started.
 */
export function startEarlyStep (containment: Containment, limits: CgroupLimits, logger: Logger): EarlyStep {
  const made = make(containment, limits).catch((err: unknown) => {
    logger.debug({ err }, 'no early step process')
    return undefined
  })
  let taken = false
  let disposed = false
  const alive = (s: StartedStep): boolean => s.child.pid !== undefined && s.child.exitCode === null && s.child.signalCode === null
  return {
    async take (wanted) {
      if (taken || disposed) return undefined
      taken = true
      const m = await made
      if (m === undefined) return undefined
      const same = wanted.maxProcesses === limits.maxProcesses && wanted.maxMemoryBytes === limits.maxMemoryBytes
      if (!same || !alive(m.started)) {
        m.started.child.kill('SIGKILL')
        removeStepCgroupLater(m.cgroup, logger)
        return undefined
      }
      return { cgroup: m.cgroup, started: m.started, run: (cmd) => { m.started.child.stdin?.end(message(m.envPath, cmd)) } }
    },
    dispose () {
      if (disposed) return
      disposed = true
      if (taken) return
      void made.then((m) => {
        if (m === undefined) return
        m.started.child.kill('SIGKILL')
        void m.started.exited.then(() => { removeStepCgroupLater(m.cgroup, logger) })
      })
    }
  }
}
