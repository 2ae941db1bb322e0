/**
 * How this machine can hold a step's process tree together, found once per process.
 *
 * Best first: `namespace` (each step in its own bubblewrap pid namespace, which the kernel ends as
 * a whole), `cgroup` (each step in its own cgroup, whose member list no fork escapes), `cookie`
 * (an environment cookie per step and a /proc scan, as Jenkins' ProcessTreeKiller does). The
 * cookie scan and the process group back up the first two. Limits come from a cgroup wherever one
 * is writable, in `namespace` mode too; otherwise from rlimits.
 */
import { SandboxError } from '../errors.ts'
import { detectCgroups, type CgroupSupport } from './cgroup.ts'
import { probeBwrap } from './sandbox.ts'
import { findExecutable } from './which.ts'

/** How a step's tree is held together. */
export type ContainmentMode = 'namespace' | 'cgroup' | 'cookie'

/** What a step runner may use on this machine. Immutable; share one across steps. */
export interface Containment {
  readonly mode: ContainmentMode
  /** Where per-step cgroups go, for limits and the member list; null means rlimits only. */
  readonly cgroup: CgroupSupport | null
  /** The absolute path of bash, so a step's own PATH cannot change what runs it. */
  readonly bash: string
  /** The absolute path of a working bubblewrap, or null; sandboxed steps need it in every mode. */
  readonly bwrap: string | null
  /** Why the mode is what it is, for the runner's log. */
  readonly reason: string
}

/** Options for `detectContainment`. */
export interface ContainmentInit {
  /** Use this mode, or fail with `SandboxError` naming what is missing for it. Default `auto`: the best available. */
  mode?: ContainmentMode | 'auto'
  /** The bwrap to probe (a name on the PATH or an absolute path). Default `bwrap`. */
  bwrap?: string
}

let cgroupProbe: Promise<CgroupSupport | null> | undefined

function unavailable (mode: ContainmentMode, detail: string): SandboxError {
  return new SandboxError(`containment mode ${mode} cannot run here: ${detail}`, { detail })
}

/**
 * Finds what is available: bubblewrap and cgroups are probed once per process (concurrent callers
 * share the probes); the result for each `mode` is cheap after that.
 * @throws {SandboxError} when bash is missing, or a forced mode cannot run here.
 */
export async function detectContainment (init: ContainmentInit = {}): Promise<Containment> {
  const wanted = init.mode ?? 'auto'
  cgroupProbe ??= detectCgroups()
  const [bash, bwrap, cgroup] = await Promise.all([findExecutable('bash'), probeBwrap(init.bwrap), cgroupProbe])
  if (bash === null) throw new SandboxError('steps need bash, and there is none on the PATH', { detail: 'no bash' })
  const bwrapPath = bwrap.path ?? null
  const cgroupNote = cgroup === null ? 'no writable cgroup, limits by rlimit' : `cgroup v${cgroup.version} for limits`
  if (wanted === 'namespace' || (wanted === 'auto' && bwrapPath !== null)) {
    if (bwrapPath === null) throw unavailable('namespace', bwrap.reason ?? 'bubblewrap does not work')
    return { mode: 'namespace', cgroup, bash, bwrap: bwrapPath, reason: `bubblewrap pid namespace; ${cgroupNote}` }
  }
  if (wanted === 'cgroup' || (wanted === 'auto' && cgroup?.pids != null)) {
    if (cgroup === null || cgroup.pids === null) throw unavailable('cgroup', 'no writable cgroup with the pids controller')
    return { mode: 'cgroup', cgroup, bash, bwrap: bwrapPath, reason: `per-step cgroup (v${cgroup.version})` }
  }
  const why = wanted === 'cookie' ? 'asked for' : `${bwrap.reason ?? 'no bubblewrap'}; no writable cgroup`
  return { mode: 'cookie', cgroup: null, bash, bwrap: bwrapPath, reason: `environment cookie and /proc scan (${why}); limits by rlimit` }
}
