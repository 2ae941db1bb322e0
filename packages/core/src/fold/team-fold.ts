import type { DecodedEvent, LedgerEventOf } from '../events/envelope.ts'
import type { Role } from '../events/bodies.ts'
import { compareEvents, compareKeys, keyOf, type OrderKey } from './order.ts'
import type { TeamState } from './types.ts'

/** One change of a peer's role, at its place in the order; `role` undefined means removed. */
interface RoleChange {
  key: OrderKey
  role: Role | undefined
  /** For a removal: the removed peer's last seq its admin held (its later events come after it). */
  upToSeq?: number
}

type History = ReadonlyMap<string, readonly RoleChange[]>

/**
 * Whether an event by `peer` with `seq` at `key` was written after a removal placed later in the
 * order: its seq is above what the removing admin held, so its Lamport value backdates it.
 */
function backdated (history: History, peer: string, key: OrderKey, seq: number | undefined): boolean {
  if (seq === undefined) return false
  for (const c of history.get(peer) ?? []) {
    if (c.role === undefined && c.upToSeq !== undefined && seq > c.upToSeq && compareKeys(c.key, key) > 0) return true
  }
  return false
}

/**
 * The team as it stood at every place in the order, so a job event is judged by the membership at
 * that event, not at its arrival: peers that learn of a removal at different times still agree.
 */
export interface TeamTimeline {
  /** The team after every team event. */
  readonly state: TeamState
  /**
   * The peer's role just before `key` in the order (undefined: not listed then). With the event's
   * `seq`, an event written after a removal of its author (by seq) has no role, whatever its key.
   */
  roleAt(peer: string, key: OrderKey, seq?: number): Role | undefined
  /** Whether the peer may write job events at `key`: anyone in an open team, a listed peer in a strict one. */
  memberAt(peer: string, key: OrderKey, seq?: number): boolean
  /** Whether the peer was listed at any point (its events must be kept to be judged in order). */
  everListed(peer: string): boolean
  /** Listed peers at `key`, sorted by id. */
  listedAt(key: OrderKey): string[]
  /** Identifies the role history: equal signatures mean every event is judged the same. */
  readonly signature: string
}

/**
 * Team membership: the first `team.created` (by the conflict order) by `admin`, the team file's
 * admin, makes it the admin (any author when `admin` is undefined); member changes count only when
 * their author is an admin at that point of the order. Binding the team to the admin the team file
 * names keeps a member from founding the team over again with a `team.created` of its own.
 */
export function foldTeam (events: readonly DecodedEvent[], admin?: string): TeamTimeline {
  const sorted = [...events].sort(compareEvents)
  // The second pass judges each admin's own events against the removals the first pass found.
  const first = replayTeam(sorted, admin, new Map())
  return first.history.size === 0 ? first.timeline : replayTeam(sorted, admin, first.history).timeline
}

function replayTeam (sorted: readonly DecodedEvent[], admin: string | undefined, removals: History): { timeline: TeamTimeline, history: History } {
  const members: Record<string, Role> = {}
  const history = new Map<string, RoleChange[]>()
  let state: TeamState = { mode: 'open', members: {} }
  let created = false
  const set = (peer: string, role: Role | undefined, key: OrderKey, upToSeq?: number): void => {
    if (role === undefined) delete members[peer]
    else members[peer] = role
    let list = history.get(peer)
    if (list === undefined) history.set(peer, list = [])
    list.push(upToSeq === undefined ? { key, role } : { key, role, upToSeq })
  }
  for (const e of sorted) {
    const { event } = e
    const isAdmin = members[event.author] === 'admin' && !backdated(removals, event.author, keyOf(e), event.seq)
    if (event.type === 'team.created' && !created && (admin === undefined || event.author === admin)) {
      created = true
      state = { name: event.body.name, mode: event.body.mode, members: {} }
      set(event.author, 'admin', keyOf(e))
    } else if (event.type === 'team.member_added' && isAdmin) {
      set(event.body.peer, event.body.role, keyOf(e))
    } else if (event.type === 'team.member_removed' && isAdmin && event.body.peer !== event.author) {
      const { peer, upToSeq } = (event as LedgerEventOf<'team.member_removed'>).body
      set(peer, undefined, keyOf(e), upToSeq)
    }
  }
  state.members = Object.fromEntries(Object.entries(members).sort(([a], [b]) => (a < b ? -1 : 1)))
  return { timeline: new Timeline(state, history), history }
}

class Timeline implements TeamTimeline {
  readonly state: TeamState
  readonly signature: string
  private readonly history: History

  constructor (state: TeamState, history: History) {
    this.state = state
    this.history = history
    const changes = [...history].sort(([a], [b]) => (a < b ? -1 : 1)).map(([peer, list]) => [peer, list.map((c) => [c.key.id, c.role ?? null, c.upToSeq ?? null])])
    this.signature = JSON.stringify([state.mode, state.name ?? null, changes])
  }

  roleAt (peer: string, key: OrderKey, seq?: number): Role | undefined {
    const list = this.history.get(peer)
    if (list === undefined || backdated(this.history, peer, key, seq)) return undefined
    // Changes are few per peer: a backwards scan finds the last one before `key`.
    for (let i = list.length - 1; i >= 0; i--) if (compareKeys(list[i]!.key, key) < 0) return list[i]!.role
    return undefined
  }

  memberAt (peer: string, key: OrderKey, seq?: number): boolean {
    return this.state.mode === 'open' || this.roleAt(peer, key, seq) !== undefined
  }

  everListed (peer: string): boolean {
    return this.history.has(peer)
  }

  listedAt (key: OrderKey): string[] {
    return [...this.history.keys()].filter((peer) => this.roleAt(peer, key) !== undefined).sort()
  }
}
