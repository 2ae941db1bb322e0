/**
 * The step sandbox: bubblewrap (`bwrap`) with a read-only view of the system, a writable
 * workspace and tmp, and its own pid namespace (and, without network, its own empty network
 * namespace). Also the plain pid-namespace wrapper used to hold a step's tree together when no
 * sandbox is asked for.
 *
 * Never `--new-session`: it calls setsid, and a process that is session leader in the namespace
 * is not in the step's process group (bubblewrap#726); the pid namespace and `--die-with-parent`
 * end the tree instead.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { isAbsolute, normalize } from 'node:path'
import { SandboxError } from '../errors.ts'
import { findExecutable } from './which.ts'

/** How a step is confined. Paths are absolute on the host; workspace and writable dirs keep their path inside. */
export interface SandboxSpec {
  /** The step's working tree: writable, at the same path inside. */
  workspace: string
  /** A per-step scratch dir, writable, mounted at /tmp inside; HOME is /tmp/home. */
  tmp: string
  /** Whether the step may use the network. Without it the step has no network at all, not even the host's loopback. */
  network: boolean
  /** Paths to show read-only even inside a writable dir (e.g. a mirror inside the workspace). */
  readOnly?: string[]
  /** Extra writable dirs, at the same path inside (e.g. where a job receives its needs' artifacts). */
  writable?: string[]
  /**
   * Host dirs the step must not see at all (the runner's data dir with its keys, tokens and other
   * jobs' files; home directories), each covered by an empty tmpfs. Missing ones are skipped.
   */
  hidden?: string[]
}

/** Whether the sandbox can run here, and if not, why. */
export interface SandboxStatus {
  available: boolean
  reason?: string
}

/** How long the bubblewrap probe may take, in ms. */
const PROBE_TIMEOUT_MS = 10_000

const probes = new Map<string, Promise<SandboxProbe>>()

/** The outcome of probing one bwrap: where it is when it works. */
export interface SandboxProbe extends SandboxStatus {
  /** The absolute path of a working bwrap. */
  path?: string
}

async function runProbe (name: string): Promise<SandboxProbe> {
  const bwrap = await findExecutable(name)
  if (bwrap === null) return { available: false, reason: `bubblewrap is not installed (no ${name} on the PATH)` }
  return await new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' }
    execFile(bwrap, ['--ro-bind', '/', '/', '--unshare-pid', '--die-with-parent', 'true'], { timeout: PROBE_TIMEOUT_MS, env }, (err, _stdout, stderr) => {
      if (err === null) resolve({ available: true, path: bwrap })
      else resolve({ available: false, reason: `bubblewrap cannot make a sandbox here: ${String(stderr).trim().split('\n')[0] || err.message}` })
    })
  })
}

/** Probes `bwrap` (a name on the PATH or an absolute path) once per process; callers share the answer. */
export async function probeBwrap (name: string = 'bwrap'): Promise<SandboxProbe> {
  let probe = probes.get(name)
  if (probe === undefined) {
    probe = runProbe(name)
    probes.set(name, probe)
  }
  return await probe
}

/**
 * Probes once per process (per bwrap path) whether `bwrap --ro-bind / / --unshare-pid
 * --die-with-parent true` works. `off` never probes; `on` throws `SandboxError` naming why when it
 * does not work; `auto` reports it. Concurrent callers share one probe.
 */
export async function detectSandbox (mode: 'auto' | 'on' | 'off', init: { bwrap?: string } = {}): Promise<SandboxStatus> {
  if (mode === 'off') return { available: false, reason: 'the sandbox is turned off' }
  const probe = await probeBwrap(init.bwrap)
  if (mode === 'on' && !probe.available) {
    const detail = probe.reason ?? 'bubblewrap does not work'
    throw new SandboxError(`the sandbox is required but cannot run: ${detail}`, { detail })
  }
  return probe.available ? { available: true } : { available: false, reason: probe.reason }
}

async function checkDir (what: string, path: string): Promise<void> {
  const fail = (why: string): never => {
    throw new SandboxError(`sandbox ${what} ${JSON.stringify(path)} ${why}`, { detail: `${what}: ${why}` })
  }
  if (path.includes('\0') || !isAbsolute(path) || normalize(path) !== path || path === '/') fail('must be an absolute, normalized path other than /')
  const info = await stat(path).catch(() => null)
  if (info === null || !info.isDirectory()) fail('is not an existing directory')
}

/**
 * Checks a spec before it becomes mounts: every path absolute, normalized and an existing
 * directory. Throws `SandboxError` naming the first bad path.
 */
export async function checkSandboxSpec (spec: SandboxSpec): Promise<void> {
  await checkDir('workspace', spec.workspace)
  await checkDir('tmp', spec.tmp)
  for (const dir of spec.writable ?? []) await checkDir('writable dir', dir)
  for (const dir of spec.hidden ?? []) if (!isAbsolute(dir) || normalize(dir) !== dir || dir === '/') await checkDir('hidden dir', dir)
  for (const dir of spec.readOnly ?? []) await checkDir('read-only dir', dir)
}

/**
 * The bwrap arguments (before `--` and the command) for a sandboxed step starting in `cwd`.
 * Mount order matters: tmp goes on /tmp before the workspace is bound, so a workspace that lives
 * under the host's /tmp is still visible; read-only paths come last so they win over writable ones.
 * Capabilities are dropped, so a step run by root cannot remount the system writable.
 */
export function sandboxArgs (spec: SandboxSpec, cwd: string = spec.workspace): string[] {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc']
  // Bind sources are read from the host's root, so hiding a dir first does not hide what is bound
  // from inside it afterwards (the workspace, the tmp dir).
  for (const dir of spec.hidden ?? []) if (existsSync(dir)) args.push('--tmpfs', dir)
  args.push('--bind', spec.tmp, '/tmp', '--bind', spec.workspace, spec.workspace)
  for (const dir of spec.writable ?? []) args.push('--bind', dir, dir)
  for (const dir of spec.readOnly ?? []) args.push('--ro-bind', dir, dir)
  args.push('--dir', '/tmp/home', '--setenv', 'HOME', '/tmp/home', '--setenv', 'TMPDIR', '/tmp')
  args.push('--unshare-pid', '--die-with-parent', '--cap-drop', 'ALL')
  if (!spec.network) args.push('--unshare-net')
  args.push('--chdir', cwd)
  return args
}

/**
 * The bwrap arguments for a step that is not sandboxed but whose tree is held by a pid
 * namespace: the host's file system as it is (devices included), a fresh /proc.
 */
export function namespaceArgs (cwd: string): string[] {
  return ['--bind', '/', '/', '--dev-bind', '/dev', '/dev', '--proc', '/proc', '--unshare-pid', '--die-with-parent', '--chdir', cwd]
}
