/**
 * The id formats git source distribution accepts. Every id is checked against these before it is
 * used in a path, a ref name or a git command line.
 */
import { z } from 'zod'

/** A repo id: sha256 hex of the sorted root commits (see `repoIdOf`). */
export const RepoId = z.string().regex(/^[0-9a-f]{64}$/, 'a repo id is 64 lowercase hex digits')
/** A full SHA-1 object id, lowercase. */
export const CommitId = z.string().regex(/^[0-9a-f]{40}$/, 'a commit id is 40 lowercase hex digits')

/** Whether `value` is a repo id. */
export function isRepoId (value: string): boolean {
  return RepoId.safeParse(value).success
}

/** Whether `value` is a full lowercase SHA-1 object id. */
export function isCommitId (value: string): boolean {
  return CommitId.safeParse(value).success
}
