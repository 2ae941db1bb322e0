import type { DevqNode } from './node.ts'
import type { RunDeps } from './runs.ts'

/** What announcing a run takes from a running node: its ledger, its addresses, its repo registry. */
export function runDepsOf (node: DevqNode): RunDeps {
  return {
    append: async (type, body) => await node.ledger.append(node.signer, type, body),
    addresses: () => node.mesh.addresses(),
    remember: async (repo, path) => { await node.repos.remember(repo, path) }
  }
}
