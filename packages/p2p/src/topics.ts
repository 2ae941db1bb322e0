/** Names on the wire that derive from the team name: the two gossip topics and the sync protocol. */
import { MeshConfigError } from './errors.ts'

/** The wire names of one team. */
export interface TeamNames {
  /** Gossip topic of ledger events. */
  ledger: string
  /** Gossip topic of presence heartbeats. */
  presence: string
  /** Stream protocol of the ledger sync. */
  sync: string
  /** Stream protocol of the peer exchange. */
  peers: string
}

/** Team names: short, and safe inside topic names and protocol ids. */
const TEAM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** The topic and protocol names of `team`. Throws MeshConfigError for a name that cannot be one. */
export function teamNames (team: string): TeamNames {
  if (!TEAM.test(team)) throw new MeshConfigError(`team name ${JSON.stringify(team)} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`, { field: 'team', detail: 'invalid team name' })
  return {
    ledger: `devq/${team}/ledger/1`,
    presence: `devq/${team}/presence/1`,
    sync: `/devq/${team}/sync/1.0.0`,
    peers: `/devq/${team}/peers/1.0.0`
  }
}
