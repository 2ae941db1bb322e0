import { DevqError } from '@devq/core'

/** Configuration from flags, environment or files is invalid; `data.source` names where it came from. */
export class ConfigError extends DevqError<{ source: string, key: string, detail: string }> {
  readonly name = 'ConfigError'
}

/**
 * The team file is missing, unreadable, too open (`detail` `permissions`), or this operation needs
 * a team this peer is not in.
 */
export class TeamError extends DevqError<{ path: string, detail: string }> {
  readonly name = 'TeamError'
}

/**
 * The control API's token file (api.token) is missing, malformed, or too open (`detail`
 * `permissions`: group or others may read it; the message says how to fix it).
 */
export class ApiTokenError extends DevqError<{ path: string, detail: string }> {
  readonly name = 'ApiTokenError'
}

/** A join token could not be decoded. */
export class JoinTokenError extends DevqError<{ detail: string }> {
  readonly name = 'JoinTokenError'
}

/**
 * A request to the control API was refused; `status` is the HTTP status it maps to, `field` the
 * request field at fault when one is, `remote` the name and data of a server error this client
 * has no class for.
 */
export class ApiRequestError extends DevqError<{ status: number, detail: string, field?: string, remote?: { name: string, data: unknown } }> {
  readonly name = 'ApiRequestError'
}

/**
 * The control API failed on something unexpected; the message says no more than that, and the
 * node's log holds the error under `requestId`.
 */
export class ApiInternalError extends DevqError<{ requestId: string }> {
  readonly name = 'ApiInternalError'
}

/** No running node was found for a data directory (the CLI needs one for this command). */
export class NodeNotRunningError extends DevqError<{ dataDir: string }> {
  readonly name = 'NodeNotRunningError'
}

/** A secret is missing, malformed or refused. Never carries the value. */
export class SecretError extends DevqError<{ name: string, detail: string }> {
  readonly name = 'SecretError'
}

/** A run could not be announced: not a repository, no pipeline at that commit, a bad pipeline, an unknown job. */
export class RunError extends DevqError<{ reason: 'not_a_repository' | 'no_commit' | 'no_pipeline' | 'bad_pipeline' | 'unknown_job' | 'too_many_jobs', detail: string, starter?: string }> {
  readonly name = 'RunError'
}

/**
 * The control API's unix socket cannot be set up: its path is taken by something that is not a
 * socket (`not_socket`), a running node answers on it (`in_use`), or it is too long for a unix
 * socket (`too_long`).
 */
export class ApiSocketError extends DevqError<{ path: string, reason: 'not_socket' | 'in_use' | 'too_long' }> {
  readonly name = 'ApiSocketError'
}

/**
 * An answer of the control API does not match its route's response schema (api-routes.ts). Only
 * raised where answers are checked (DEVQ_API_CHECK=1, in tests): it is a bug in the node.
 */
export class ApiResponseError extends DevqError<{ route: string, status: number, issue: string }> {
  readonly name = 'ApiResponseError'
}

/**
 * The push webhook refused a delivery: `status` is the HTTP status it answers with, `field` the
 * payload field at fault when one is.
 */
export class WebhookError extends DevqError<{ status: number, detail: 'event' | 'signature' | 'too_large' | 'payload' | 'busy' | 'no_route' | 'internal', field?: string }> {
  readonly name = 'WebhookError'
}

/**
 * A pushed commit could not be fetched from its forge into this peer's mirror; `url` never holds
 * credentials.
 */
export class ForgeFetchError extends DevqError<{ url: string, ref: string, commit: string, detail: string }> {
  readonly name = 'ForgeFetchError'
}

/**
 * `devq hook install` or `uninstall` left a hook file alone: not a repository, a hook that is not
 * a shell script or has no `#!` line, one git does not run (not executable), a symbolic link, or a
 * DevQ block that was edited out of shape. Nothing was written.
 */
export class HookError extends DevqError<{ reason: 'not_a_repository' | 'not_utf8' | 'binary' | 'no_shebang' | 'not_shell' | 'damaged_block' | 'not_executable' | 'symlink' | 'not_a_file' | 'too_large', path: string, detail: string }> {
  readonly name = 'HookError'
}

/**
 * What the user typed names no job or run (`detail` `none`), or more than one (`ambiguous`;
 * `matches` lists them, a line each, as the message does).
 */
export class IdResolveError extends DevqError<{ query: string, detail: 'none' | 'ambiguous', matches: string[] }> {
  readonly name = 'IdResolveError'
}

/** A command line argument or flag of `devq` is invalid; `arg` names it. */
export class CliUsageError extends DevqError<{ arg: string, detail: string }> {
  readonly name = 'CliUsageError'
}
