/**
 * Who may write what (DESIGN.md): the checks the fold makes on every event, so an event that breaks
 * them changes nothing on any peer. Each takes the team as it stood at the event's place in the order.
 */
import { createHash } from 'node:crypto'
import type { Role } from '../events/bodies.ts'
import type { OrderKey } from './order.ts'
import type { TeamTimeline } from './team-fold.ts'

/**
 * How many members besides the origin may coordinate a job in a strict team: the first ones by
 * rendezvous weight of the job id. More keeps jobs moving when peers are away; fewer gives a
 * hostile member fewer jobs to steer. An open team has no list, so any peer with the key may.
 */
export const FAILOVER_COORDINATORS = 3

/** Rendezvous (highest random weight) hash of a job id and a peer id, as hex: larger ranks first. */
export function rendezvousWeight (jobId: string, peer: string): string {
  return createHash('sha256').update(jobId).update('\u0000').update(peer).digest('hex')
}

/** The peers of `peers` ranked by rendezvous weight for `jobId`, first first. */
export function rendezvousOrder (jobId: string, peers: readonly string[]): string[] {
  return peers.map((peer) => ({ peer, w: rendezvousWeight(jobId, peer) }))
    .sort((a, b) => (a.w > b.w ? -1 : a.w < b.w ? 1 : 0))
    .map((x) => x.peer)
}

/** The members of a strict team, other than the origin, that may take over a job's coordination. */
export function failoverCoordinators (jobId: string, origin: string, listed: readonly string[]): string[] {
  return rendezvousOrder(jobId, listed.filter((p) => p !== origin)).slice(0, FAILOVER_COORDINATORS)
}

/** The job facts the checks need. */
export interface JobFacts {
  id: string
  origin: string
}

/** Whether `author` may award a job's attempt, reuse a result for it, or declare its runner lost. */
export function mayCoordinate (team: TeamTimeline, job: JobFacts, author: string, at: OrderKey): boolean {
  if (author === job.origin) return true
  if (!team.memberAt(author, at)) return false
  if (team.state.mode === 'open') return true
  return failoverCoordinators(job.id, job.origin, team.listedAt(at)).includes(author)
}

/** Whether `author` may cancel a job, change its priority, supersede it or ask for a retry. */
export function mayControl (team: TeamTimeline, job: JobFacts, author: string, at: OrderKey): boolean {
  return author === job.origin || team.roleAt(author, at) === 'admin'
}

/** Whether `peer` is trusted (or admin) at `at`: only such a peer runs a sensitive job. */
export function trustedAt (team: TeamTimeline, peer: string, at: OrderKey): boolean {
  const role = team.roleAt(peer, at)
  return role === 'trusted' || role === 'admin'
}

/**
 * The roles a peer holds, each implying the ones before it: `member` (it may write job events),
 * `trusted` (it may run sensitive jobs; an admin is trusted too) and `admin`. None for a non-member.
 */
export function rolesHeld (member: boolean, role: Role | undefined): Role[] {
  if (!member) return []
  if (role === 'admin') return ['member', 'trusted', 'admin']
  if (role === 'trusted') return ['member', 'trusted']
  return ['member']
}

/**
 * The roles `peer` held at `at` in the order (with its event's `seq`: an event written after its
 * author's removal holds none), judged as the fold judges that event: `memberAt` and `roleAt`.
 */
export function rolesAt (team: TeamTimeline, peer: string, at: OrderKey, seq?: number): Role[] {
  return rolesHeld(team.memberAt(peer, at, seq), team.roleAt(peer, at, seq))
}
