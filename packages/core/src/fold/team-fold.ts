import type { DecodedEvent, LedgerEventOf } from '../events/envelope.ts'
import type { Role } from '../events/bodies.ts'
import { compareEvents } from './order.ts'
import type { TeamState } from './types.ts'

/**
 * Team membership: the first `team.created` (by the conflict order) makes its author the admin;
 * member changes count only when their author is an admin at that point of the order.
 */
export function foldTeam (events: readonly DecodedEvent[]): TeamState {
  const sorted = [...events].sort(compareEvents)
  const state: TeamState = { mode: 'open', members: {} }
  let created = false
  for (const { event } of sorted) {
    const isAdmin = state.members[event.author] === 'admin'
    if (event.type === 'team.created' && !created) {
      created = true
      state.name = event.body.name
      state.mode = event.body.mode
      state.members[event.author] = 'admin'
    } else if (event.type === 'team.member_added' && isAdmin) {
      state.members[event.body.peer] = event.body.role
    } else if (event.type === 'team.member_removed' && isAdmin && event.body.peer !== event.author) {
      delete state.members[(event as LedgerEventOf<'team.member_removed'>).body.peer]
    }
  }
  state.members = Object.fromEntries(Object.entries(state.members).sort(([a], [b]) => (a < b ? -1 : 1))) as Record<string, Role>
  return state
}
