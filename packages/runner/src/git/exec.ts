/**
 * Running the git binary safely. Every invocation gets the same hardened environment: no hooks,
 * no pager, no prompts, no system config, no optional locks (so reads never write to a
 * developer's repository), the C locale (stable messages), and none of the caller's `GIT_*`
 * variables (a daemon started from a git hook inherits `GIT_DIR` and must not follow it).
 */
import type { execa as Execa } from 'execa'
import { GitCommandError } from '../errors.ts'
import { DEFAULT_MAX_OUTPUT_BYTES, MAX_STDERR_BYTES } from './limits.ts'

/** Options of one git invocation. */
export interface GitRunOptions {
  /** Working directory (default: this process's). */
  cwd?: string
  /** Bytes or text written to git's stdin, which is then closed. */
  input?: string | Uint8Array
  /** Most bytes accepted on stdout; more fails the command (default 64 MiB). */
  maxOutputBytes?: number
  /** Aborting kills git (SIGTERM, then SIGKILL after 2 s). */
  signal?: AbortSignal
  /** Extra environment variables (on top of the hardened set). */
  env?: Record<string, string>
  /**
   * The PATH in which to find `git` (default: this process's PATH). A PATH without git makes
   * every call fail with GitCommandError and `hasGitBinary` answer false.
   */
  gitPath?: string
}

/** Output of a successful git command. */
export interface GitResult {
  stdout: Buffer
  stderr: string
}

const HARDENED_ENV: Record<string, string> = {
  GIT_OPTIONAL_LOCKS: '0',
  GIT_TERMINAL_PROMPT: '0',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_PAGER: 'cat',
  PAGER: 'cat',
  LC_ALL: 'C'
}

const HARDENED_ARGS = ['--no-pager', '-c', 'core.hooksPath=/dev/null']

/** The environment every git child gets: ours minus `GIT_*`, plus the hardened set. */
export function gitEnv (opts: Pick<GitRunOptions, 'env' | 'gitPath'> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('GIT_')) env[k] = v
  }
  Object.assign(env, HARDENED_ENV, opts.env ?? {})
  const path = opts.gitPath ?? process.env.PATH
  if (path !== undefined) env.PATH = path
  return env
}

/** The command line of `args`, for messages. */
export function commandLine (args: readonly string[]): string {
  return ['git', ...args].join(' ')
}

/** Options of a streaming git child. */
export interface GitSpawnOptions extends Pick<GitRunOptions, 'cwd' | 'input' | 'signal' | 'env' | 'gitPath'> {
  /** Whether the caller writes to `stdin` itself (default: `input`, or nothing). */
  stdin?: boolean
}

let loading: Promise<typeof Execa> | undefined

/**
 * execa, loaded when git first runs: a node that serves and builds nothing never needs its hundred
 * modules in memory. Concurrent first callers share one load.
 */
async function loadExeca (): Promise<typeof Execa> {
  loading ??= import('execa').then((m) => m.execa)
  return await loading
}

function startGit (execa: typeof Execa, args: readonly string[], opts: GitSpawnOptions) {
  return execa('git', [...HARDENED_ARGS, ...args], {
    cwd: opts.cwd,
    env: gitEnv(opts),
    extendEnv: false,
    input: opts.input,
    stdin: opts.input !== undefined ? undefined : opts.stdin === true ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    encoding: 'buffer',
    buffer: { stdout: false, stderr: true },
    maxBuffer: { stderr: MAX_STDERR_BYTES },
    reject: false,
    cancelSignal: opts.signal,
    forceKillAfterDelay: 2000
  })
}

/** A running git child from `spawnGit`. */
export type GitChild = ReturnType<typeof startGit>

/**
 * Starts git with a piped stdout that is not buffered: the caller must consume `stdout` (git
 * blocks when the pipe is full, which is the backpressure) and then await the child, which never
 * rejects; `failureOf` turns its outcome into an error. stderr is kept up to MAX_STDERR_BYTES.
 * The child comes wrapped: awaiting it unwrapped would wait for git to end.
 */
export async function spawnGit (args: readonly string[], opts: GitSpawnOptions = {}): Promise<{ child: GitChild }> {
  return { child: startGit(await loadExeca(), args, opts) }
}

/** What a finished execa child reports; enough to explain a failure. */
export interface ChildOutcome {
  failed: boolean
  exitCode?: number
  signal?: string
  isCanceled: boolean
  isMaxBuffer: boolean
  stderr?: unknown
  code?: string
  originalMessage?: string
}

/** The GitCommandError for a failed child, or undefined when it succeeded. */
export function failureOf (args: readonly string[], outcome: ChildOutcome): GitCommandError | undefined {
  if (!outcome.failed) return undefined
  const stderr = textOf(outcome.stderr).trim()
  const command = commandLine(args)
  let detail: string
  if (outcome.code === 'ENOENT') detail = 'git was not found on PATH'
  else if (outcome.isCanceled) detail = 'cancelled'
  else if (outcome.isMaxBuffer) detail = 'printed more output than allowed'
  else if (outcome.signal !== undefined) detail = `killed by ${outcome.signal}`
  else if (outcome.exitCode !== undefined) detail = `exited with ${outcome.exitCode}`
  else detail = outcome.originalMessage ?? 'could not be started'
  const said = stderr === '' ? '' : `: ${stderr.slice(0, 2000)}`
  return new GitCommandError(`${command} failed (${detail})${said}`, { command, exitCode: outcome.exitCode ?? null, stderr, detail })
}

function textOf (value: unknown): string {
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')
  return ''
}

/**
 * Runs one git command to completion and returns its output.
 * @throws {GitCommandError} naming the command and git's stderr when it fails in any way.
 */
export async function runGit (args: readonly string[], opts: GitRunOptions = {}): Promise<GitResult> {
  const execa = await loadExeca()
  const result = await execa('git', [...HARDENED_ARGS, ...args], {
    cwd: opts.cwd,
    env: gitEnv(opts),
    extendEnv: false,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : undefined,
    encoding: 'buffer',
    maxBuffer: { stdout: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, stderr: MAX_STDERR_BYTES },
    stripFinalNewline: false,
    reject: false,
    cancelSignal: opts.signal,
    forceKillAfterDelay: 2000
  })
  const failure = failureOf(args, result)
  if (failure !== undefined) throw failure
  const out = result.stdout
  return { stdout: Buffer.from(out.buffer, out.byteOffset, out.byteLength), stderr: textOf(result.stderr) }
}

const probes = new Map<string, Promise<boolean>>()

/**
 * Whether a working git binary is on `gitPath` (default: this process's PATH). Cached per PATH
 * for the life of the process; concurrent callers share one probe.
 */
export async function hasGitBinary (gitPath?: string): Promise<boolean> {
  const key = gitPath ?? process.env.PATH ?? ''
  let probe = probes.get(key)
  if (probe === undefined) {
    probe = runGit(['--version'], { gitPath, maxOutputBytes: 4096 }).then(() => true, () => false)
    probes.set(key, probe)
  }
  return await probe
}
