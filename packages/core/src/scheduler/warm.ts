/**
 * The warm-workspace hint of bids. A runner keeps one incremental worktree per repo and pipeline
 * job and reports the keys of those it holds in its presence; a job scores as warm on a runner only
 * when it runs in an incremental workspace and that runner holds the one of its own key, so neither
 * another job of the same repo nor a clean job gets the bonus.
 */
import { z } from 'zod'
import { sha256Hex } from '../events/envelope.ts'
import type { JobState } from '../fold/types.ts'

/** Most warm workspace keys one heartbeat carries; a runner holding more reports its most recently used. */
export const MAX_WARM_WORKSPACES = 64

/** A workspace key as presence carries it: a repo id (no `:`, up to 128 characters), `:`, 32 hex digits. */
export const WarmWorkspaceKey = z.string().regex(/^[^:]{1,128}:[0-9a-f]{32}$/, 'expected <repo>:<32 hex digits>')

/**
 * The key of the incremental workspace of `pipelineJob` in `repo`:
 * `<repo>:<first 32 hex digits of sha256(pipelineJob)>`. Runners name their incremental worktrees
 * by it and report it in presence (`warmWorkspaces`); the hash keeps a long matrix job id short.
 */
export function workspaceKey (repo: string, pipelineJob: string): string {
  return `${repo}:${sha256Hex(pipelineJob).slice(0, 32)}`
}

/** The workspace key a job would find warm, or undefined when it runs in a clean workspace. */
export function warmKeyOf (job: JobState): string | undefined {
  return job.workspace === 'incremental' ? workspaceKey(job.repo, job.pipelineJob) : undefined
}

/** Whether a runner holding the warm workspaces `held` holds the one of key `key` (from `warmKeyOf`). */
export function holdsWarm (held: readonly string[], key: string | undefined): boolean {
  return key !== undefined && held.includes(key)
}

/** The keys of `keys` a heartbeat can carry: well-formed ones, the first `MAX_WARM_WORKSPACES`. */
export function reportableWarm (keys: readonly string[]): string[] {
  return keys.filter((k) => WarmWorkspaceKey.safeParse(k).success).slice(0, MAX_WARM_WORKSPACES)
}
