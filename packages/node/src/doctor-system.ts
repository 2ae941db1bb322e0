/**
 * The checks of `devq doctor` about the machine: git, the hook in the current repository,
 * bubblewrap, free disk. Programs are found and run through a `CommandRunner` on a given PATH,
 * so a test can take a tool away.
 */
import { execFile } from 'node:child_process'
import { readFile, statfs } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { CheckResult } from './doctor-checks.ts'
import { BEGIN_MARK } from './hooks/blocks.ts'

/** How a program ended: its exit code (null when killed) and what it printed. */
export interface CommandOutcome {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `cmd` found on the runner's PATH; undefined when there is no such program. Never throws. */
export type CommandRunner = (cmd: string, args: readonly string[], options?: { cwd?: string }) => Promise<CommandOutcome | undefined>

/** A runner on the PATH of `env`, each program killed after `timeoutMs`. */
export function createCommandRunner (env: NodeJS.ProcessEnv, timeoutMs = 10_000): CommandRunner {
  return async (cmd, args, options = {}) => await new Promise((done) => {
    execFile(cmd, [...args], { env, timeout: timeoutMs, maxBuffer: 1024 * 1024, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return done(undefined)
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null
      done({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

const firstLine = (text: string): string => text.trim().split('\n')[0] ?? ''

/** `git` on the PATH, and its version. */
export async function checkGit (run: CommandRunner): Promise<CheckResult> {
  const out = await run('git', ['--version'])
  if (out === undefined) return { check: 'git', level: 'fail', message: 'git is not on the PATH: this peer can neither announce nor build commits', fix: 'install git' }
  if (out.code !== 0) return { check: 'git', level: 'fail', message: `git --version failed: ${firstLine(out.stderr)}`, fix: 'reinstall git' }
  return { check: 'git', level: 'ok', message: firstLine(out.stdout) }
}

/**
 * Whether the repository at `cwd` has DevQ's block (as `devq hook install` writes it) in its
 * post-commit hook, or post-receive on a server, wherever core.hooksPath puts them.
 */
export async function checkHook (run: CommandRunner, cwd: string): Promise<CheckResult> {
  const check = 'hook'
  const out = await run('git', ['rev-parse', '--git-path', 'hooks'], { cwd })
  if (out === undefined) return { check, level: 'warn', message: 'git is not on the PATH, so the hook cannot be checked' }
  if (out.code !== 0) return { check, level: 'warn', message: `${cwd} is not in a git repository; run devq doctor in one to check its hook` }
  const dir = resolve(cwd, out.stdout.trim())
  for (const hook of ['post-commit', 'post-receive']) {
    const path = join(dir, hook)
    if ((await readFile(path, 'utf8').catch(() => '')).includes(BEGIN_MARK)) return { check, level: 'ok', message: `${path} announces ${hook === 'post-commit' ? 'each commit' : 'each pushed branch head'}` }
  }
  return { check, level: 'warn', message: `no DevQ block in ${join(dir, 'post-commit')}: commits here are announced only by devq run`, fix: 'devq hook install' }
}

/**
 * Whether bubblewrap makes a sandbox here (`bwrap --ro-bind / / true`). Without it, `sandbox`
 * `on` is a fail (the node will not start); otherwise a warn: jobs that need the sandbox
 * (`sensitive`, `network: false`) do not run on this peer.
 */
export async function checkSandbox (run: CommandRunner, sandbox: 'auto' | 'on' | 'off'): Promise<CheckResult> {
  const check = 'sandbox'
  const level = sandbox === 'on' ? 'fail' : 'warn'
  const consequence = sandbox === 'on' ? 'devq-node --sandbox on will not start' : 'sandboxed (network: false) and sensitive jobs will not run here'
  if (sandbox === 'off') return { check, level: 'warn', message: `sandbox is off: ${consequence}`, fix: 'drop --sandbox off (or DEVQ_SANDBOX=off) to use bubblewrap when it works' }
  const out = await run('bwrap', ['--ro-bind', '/', '/', 'true'])
  if (out === undefined) return { check, level, message: `bubblewrap is not installed (no bwrap on the PATH): ${consequence}`, fix: 'install bubblewrap (apt install bubblewrap, dnf install bubblewrap)' }
  if (out.code !== 0) {
    return { check, level, message: `bubblewrap cannot make a sandbox here (${firstLine(out.stderr) || `exit ${String(out.code)}`}): ${consequence}`, fix: 'allow unprivileged user namespaces (e.g. sysctl kernel.unprivileged_userns_clone=1, or an AppArmor profile for bwrap)' }
  }
  return { check, level: 'ok', message: 'bubblewrap works: steps run sandboxed' }
}

const GIB = 1024 ** 3

/** The level of `free` of `total` bytes: fail under 1 GiB, warn under 5 GiB or 10 %. */
export function diskLevel (free: number, total: number): CheckResult['level'] {
  if (free < GIB) return 'fail'
  if (free < 5 * GIB || free < total / 10) return 'warn'
  return 'ok'
}

/** Free space on the filesystem of `dir` (or of its nearest existing parent). */
export async function checkDisk (dir: string, read: typeof statfs = statfs): Promise<CheckResult> {
  let at = resolve(dir)
  for (;;) {
    const fs = await read(at).catch(() => undefined)
    if (fs !== undefined) {
      const free = fs.bavail * fs.bsize
      const total = fs.blocks * fs.bsize
      const level = diskLevel(free, total)
      const message = `${(free / GIB).toFixed(1)} GiB free of ${(total / GIB).toFixed(1)} GiB (${total === 0 ? 0 : Math.round((free / total) * 100)} %) on the disk of ${at}`
      return level === 'ok' ? { check: 'disk', level, message } : { check: 'disk', level, message, fix: 'free some space, or lower --workspace-budget-mb and --artifact-budget-mb' }
    }
    if (dirname(at) === at) return { check: 'disk', level: 'warn', message: `cannot tell the free space under ${dir}` }
    at = dirname(at)
  }
}
