/**
 * The exit codes of `devq`, in one place (the README's table is this list). Errors map to a code
 * by their class name, and an error the node answered with by the HTTP status behind it.
 */
import { CommanderError } from 'commander'

/** What a `devq` process's exit status means. */
export const ExitCode = {
  /** It did what was asked. */
  ok: 0,
  /** A job or run the command was asked about did not succeed (`run --wait`, `pull`, `--exit-status`). */
  failed: 1,
  /** The command line or its input is wrong: a bad flag, an unknown or ambiguous id, a bad `.devq.yml`, a refused request. */
  usage: 2,
  /** No devq-node runs on the data dir (or it does not answer). */
  noNode: 3,
  /** The node, or a peer it needed, failed to do it (a 5xx answer, an internal error). */
  nodeFailed: 4
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** Errors of the user's own making, found before or without the node. */
const USAGE_ERRORS = new Set(['CliUsageError', 'IdResolveError', 'TeamError', 'JoinTokenError', 'SecretError', 'ConfigError', 'RunError', 'PolicyError', 'HookError'])

/** The HTTP status of the node's answer an error came from, if it came from one. */
function answerStatus (err: Error): number | undefined {
  for (const e of [err, err.cause]) {
    const data = (e as { name?: unknown, data?: { status?: unknown } } | undefined)
    if (data?.name === 'ApiRequestError' && typeof data.data?.status === 'number') return data.data.status
  }
  return undefined
}

/** The exit code for an error a command ended with. */
export function exitCodeOf (err: unknown): ExitCode {
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage
  if (!(err instanceof Error)) return ExitCode.nodeFailed
  if (err.name === 'NodeNotRunningError') return ExitCode.noNode
  if (err.name === 'ApiTokenError') return (err as { data?: { detail?: string } }).data?.detail === 'permissions' ? ExitCode.usage : ExitCode.noNode
  if (err.name === 'ApiInternalError') return ExitCode.nodeFailed
  const status = answerStatus(err)
  if (status !== undefined) return status >= 500 ? ExitCode.nodeFailed : ExitCode.usage
  if (USAGE_ERRORS.has(err.name)) return ExitCode.usage
  return ExitCode.nodeFailed
}

/**
 * How commander's own errors print (a bad flag, an unknown command, an argument out of its
 * choices): as every other error of devq, `devq: <message>` on stderr. Set on the program before
 * its commands are added, so each command inherits it.
 */
export const usageErrorOutput = {
  outputError: (text: string, write: (text: string) => void): void => { write(text.replace(/^error: /, 'devq: ')) }
}
