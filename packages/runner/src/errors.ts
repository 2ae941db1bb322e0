/**
 * Errors of @devq/runner. Check them by `name` (or `code`, which equals it), never by message.
 * Across the network they travel as `{name, message, data}` (see `toJSON` and `RemoteError`).
 */
import { DevqError } from '@devq/core'

/** Why source could not be had; each maps to the retry category `source_failed`. */
export type SourceFailure =
  | 'refused' | 'unavailable' | 'missing_object' | 'corrupt_pack' | 'too_large' | 'stalled' | 'timeout' | 'git_failed'

/**
 * Source for a job could not be fetched or verified: the attempt fails as `source_failed`, which
 * is retryable (another peer, or a later try, may serve it).
 */
export class SourceError extends DevqError<{ repo: string, commit: string, peer?: string, reason: SourceFailure, detail: string }> {
  readonly name = 'SourceError'
  constructor (message: string, data: SourceError['data'], options: { cause?: unknown } = {}) {
    super(message, data, { ...options, retryable: true })
  }
}

/** Why an artifact was refused at collection, storage or transfer. */
export type ArtifactFailure =
  | 'no_match' | 'escapes_workspace' | 'absolute_path' | 'symlink_escape' | 'not_regular' | 'bad_tar_entry'
  | 'bad_oci_layout' | 'bad_digest' | 'digest_mismatch' | 'size_mismatch' | 'too_large' | 'not_found' | 'refused' | 'unavailable'

/** An artifact could not be collected, stored, served or verified; `path` names the offending file. */
export class ArtifactError extends DevqError<{ artifact: string, path?: string, reason: ArtifactFailure, detail: string }> {
  readonly name = 'ArtifactError'
}

/** A workspace could not be prepared (checkout, budget, disk). */
export class WorkspaceError extends DevqError<{ repo: string, path: string, detail: string }> {
  readonly name = 'WorkspaceError'
}

/** The sandbox was required but cannot run on this peer (no bubblewrap, or it fails to start). */
export class SandboxError extends DevqError<{ detail: string }> {
  readonly name = 'SandboxError'
}

/** A job's pipeline could not be read or planned from the fetched commit. */
export class PipelineReadError extends DevqError<{ repo: string, commit: string, job: string, detail: string }> {
  readonly name = 'PipelineReadError'
}

/** The other side of a direct stream broke its protocol (bad frame, oversize, wrong shape). */
export class ProtocolError extends DevqError<{ protocol: string, detail: string }> {
  readonly name = 'ProtocolError'
}

/** The other side answered with an error; `data.remote` is its `{name, message, data}`. */
export class RemoteError extends DevqError<{ protocol: string, remote: { name: string, message: string, data: unknown } }> {
  readonly name = 'RemoteError'
}

/** No data arrived on a stream for longer than its idle timeout. */
export class StreamStalledError extends DevqError<{ protocol: string, idleMs: number }> {
  readonly name = 'StreamStalledError'
}

/** A git repository could not be read (not a repository, no such commit, no such file). */
export class GitReadError extends DevqError<{ dir: string, detail: string, reason: 'not_a_repository' | 'no_commit' | 'no_file' | 'unreadable' }> {
  readonly name = 'GitReadError'
}

/** Why a log operation failed. */
export type LogFailure =
  | 'bad_job' | 'bad_attempt' | 'bad_offset' | 'not_found' | 'exists' | 'closed' | 'refused' | 'short' | 'io'

/**
 * A job log could not be opened, written, read or served. `job` is cut to 80 characters, since a
 * bad id may come from the network.
 */
export class LogError extends DevqError<{ job: string, attempt: number, reason: LogFailure, detail: string }> {
  readonly name = 'LogError'
  constructor (message: string, data: LogError['data'], options: { cause?: unknown } = {}) {
    super(message, { ...data, job: data.job.slice(0, 80) }, options)
  }
}

/**
 * A git command failed: it exited non-zero, was killed, printed more than allowed, or git could
 * not be started. `command` is the command line, `stderr` what git said (capped).
 */
export class GitCommandError extends DevqError<{ command: string, exitCode: number | null, stderr: string, detail: string }> {
  readonly name = 'GitCommandError'
}
