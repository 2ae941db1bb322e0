/**
 * The `git` protocol, one round trip per stream (framing in ../wire.ts):
 *
 *   runner -> server   {repo, want, haves, thin}     one frame, validated by SourceRequest
 *   server -> runner   {ok:true} then a git pack until the server ends its side,
 *                      or {ok:false, error} (a SourceError with reason `refused` or `unavailable`)
 *
 * `haves` are commits the runner's mirror holds with their whole history; `thin:false` asks for a
 * pack whose deltas all have their base inside it (a runner without git cannot fix thin packs).
 */
import { z } from 'zod'
import { CommitId, RepoId } from './ids.ts'
import { MAX_HAVES } from './limits.ts'

/** The request frame. */
export const SourceRequest = z.strictObject({
  repo: RepoId,
  want: CommitId,
  haves: z.array(CommitId).max(MAX_HAVES),
  thin: z.boolean()
})

/** A validated request. */
export type SourceRequest = z.infer<typeof SourceRequest>

/** The success header. */
export const SourceAnswer = z.looseObject({ ok: z.literal(true) })
