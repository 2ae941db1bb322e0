/** Which runs are the user's own: announced by this machine's hook, or of commits by the local git user. */
import type { RunLine } from '../renderer/api/types.ts'

/** Who "you" are: this node's peer id and the local git user's name (`git config user.name`), when set. */
export interface Me {
  peerId: string
  authorName?: string
}

/** Run states after which nothing more happens to a run (until someone retries it). */
export const FINAL_RUN_STATES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled'])

/** Whether `run` is one of yours. A name compares without case or surrounding blanks. */
export function isOwnRun (run: Pick<RunLine, 'origin' | 'author'>, me: Me): boolean {
  if (run.origin === me.peerId) return true
  const name = me.authorName?.trim().toLowerCase()
  return name !== undefined && name !== '' && run.author?.trim().toLowerCase() === name
}

/** Your runs, newest first. */
export function ownRunsNewestFirst (runs: readonly RunLine[], me: Me): RunLine[] {
  return runs.filter((r) => isOwnRun(r, me)).sort((a, b) => b.announcedAt - a.announcedAt)
}
