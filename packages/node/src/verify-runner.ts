/**
 * What `devq verify` requires of a build's runner: that it was a member of the team at its finish
 * (as this peer's fold judged it), and, when asked, that it is one of the peers named
 * (`--runner`) and held every role named (`--require-role`). Pure: the node's answer says who the
 * runner was and which roles it held; these checks only compare.
 */
import { PeerIdString, Role } from '@devq/core'
import { CliUsageError } from './errors.ts'
import type { RunnerStanding } from './provenance.ts'

/** The runners and roles a verified build must have; empty lists require nothing. */
export interface RunnerRequirement {
  /** Full peer ids; the build's runner must be one of them. */
  peers: string[]
  /** Roles the runner must have held at its finish, each of them. */
  roles: Role[]
}

/**
 * The requirement from `--runner` and `--require-role` (each repeatable).
 * @throws {CliUsageError} for a value that is not a full peer id or not a role.
 */
export function runnerRequirement (o: { runner?: readonly string[], requireRole?: readonly string[] }): RunnerRequirement {
  const peers = (o.runner ?? []).map((p) => {
    // A prefix would be weaker than the check asks for: a key whose id starts alike can be made.
    if (!PeerIdString.safeParse(p).success) throw new CliUsageError(`--runner ${p}: not a peer id; give the runner's full peer id (devq team list shows them; peers have no other names in the team's ledger)`, { arg: '--runner', detail: 'not a peer id' })
    return p
  })
  const roles = (o.requireRole ?? []).map((r) => {
    const parsed = Role.safeParse(r)
    if (!parsed.success) throw new CliUsageError(`--require-role ${r}: not a role; one of ${Role.options.join(', ')}`, { arg: '--require-role', detail: 'not a role' })
    return parsed.data
  })
  return { peers, roles }
}

/** `trusted member`, `admin`, `no member`: the highest role of `roles`, in words. */
export function rolesText (roles: readonly Role[]): string {
  if (roles.includes('admin')) return 'admin'
  if (roles.includes('trusted')) return 'trusted member'
  return roles.includes('member') ? 'member' : 'no member'
}

/** The runner line's note: its roles at its finish, and now when they differ. */
export function standingText (standing: RunnerStanding | undefined): string {
  if (standing === undefined) return '(signed the provenance)'
  const now = rolesText(standing.rolesNow)
  const changed = now === rolesText(standing.roles) ? '' : `, ${now} now`
  return `(signed the provenance; ${rolesText(standing.roles)} at its finish${changed})`
}

/**
 * Why the build of `runner` (the finish's author, from the checked events) does not meet
 * `required`, or undefined when it does. `standing` is the node's account of that runner.
 */
export function runnerShortfall (runner: string, standing: RunnerStanding | undefined, required: RunnerRequirement): string | undefined {
  if (standing !== undefined && standing.peer !== runner) return `the node's account of the runner is of ${standing.peer}, but the finish was signed by ${runner}`
  if (standing !== undefined && standing.roles.length === 0) return `its runner ${runner} was not a member of the team at its finish (by this peer's ledger), so its build does not count`
  if (required.peers.length > 0 && !required.peers.includes(runner)) return `its runner is ${runner}, not ${required.peers.length === 1 ? 'the one required' : 'one of those required'} (--runner ${required.peers.join(', --runner ')})`
  if (required.roles.length === 0) return undefined
  if (standing === undefined) return `the node did not say which roles its runner ${runner} held (a devq-node of an older version?), so --require-role cannot be checked`
  const missing = required.roles.filter((r) => !standing.roles.includes(r))
  if (missing.length > 0) return `its runner ${runner} was a ${rolesText(standing.roles)} at its finish, not ${missing.map((r) => `${r} (--require-role ${r})`).join(' or ')}`
  return undefined
}
