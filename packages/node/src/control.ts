import type { JobState } from '@devq/core'
import type { DevqNode } from './node.ts'
import { ApiRequestError } from './errors.ts'

/**
 * Throws a 403 unless this peer may `verb` `job`: its origin or a team admin may cancel, retry or
 * reprioritise it. The fold applies the same rule on every peer, so a request it would ignore is
 * refused here before anything is signed, instead of being answered as if it had worked.
 */
export function ensureMayControl (node: Pick<DevqNode, 'peerId' | 'fold'>, job: Pick<JobState, 'id' | 'origin'>, verb: string): void {
  if (job.origin === node.peerId || node.fold.team().members[node.peerId] === 'admin') return
  throw new ApiRequestError(`only the origin of job ${job.id} (${job.origin}) or a team admin may ${verb} it; this peer is neither`, { status: 403, detail: 'not origin' })
}
