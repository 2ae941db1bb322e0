/** Three real meshes with real ledgers on one host: every event reaches every peer. */
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, converged, createCluster, fullyConnected, waitFor, type TestPeer } from './helpers.ts'

let peers: TestPeer[] = []
afterEach(async () => {
  await closeAll(peers)
  peers = []
})

async function appendEverywhere (cluster: readonly TestPeer[], perPeer: number): Promise<void> {
  await Promise.all(cluster.map(async (p) => { await p.announce(perPeer) }))
}

describe('ledger replication', () => {
  it('three peers converge on the same events and state', async () => {
    peers = await createCluster(3)
    await waitFor('a full mesh', () => fullyConnected(peers))
    await appendEverywhere(peers, 10)
    await waitFor('convergence', () => converged(peers))
    for (const p of peers) expect(p.ledger.size()).toBe(30)
    const stats = peers.map((p) => p.mesh.stats())
    expect(stats.reduce((n, s) => n + s.gossip.out, 0)).toBeGreaterThan(0)
    expect(stats.reduce((n, s) => n + s.gossip.accepted, 0)).toBeGreaterThan(0)
    // Per topic: the totals split between the ledger and presence topics, nothing else.
    for (const s of stats) {
      expect(s.gossip.topics.ledger.out + s.gossip.topics.presence.out).toBe(s.gossip.out)
      expect(s.gossip.topics.ledger.in + s.gossip.topics.presence.in).toBe(s.gossip.in)
      expect(s.gossip.topics.ledger.out).toBe(s.gossip.ledgerOut)
    }
    expect(stats.reduce((n, s) => n + s.gossip.topics.ledger.in, 0)).toBeGreaterThan(0)
  })

  it('events appended before the mesh starts arrive by sync on connect', async () => {
    peers = await createCluster(2, undefined, () => ({ syncIntervalMs: 60_000 }))
    const late = peers[1]
    if (late === undefined) throw new Error('no peer')
    await peers[0]?.announce(5)
    await late.announce(3)
    await waitFor('convergence', () => converged(peers))
    expect(peers[0]?.ledger.size()).toBe(8)
  })

  it('converges when 30% of gossip is dropped, 20% duplicated and the rest delayed', async () => {
    const faults = { drop: 0.3, duplicate: 0.2, delayMs: 30 }
    peers = await createCluster(3, undefined, () => ({ faults }))
    await waitFor('a full mesh', () => fullyConnected(peers))
    for (let round = 0; round < 4; round++) await appendEverywhere(peers, 5)
    await waitFor('convergence', () => converged(peers), 60_000)
    for (const p of peers) expect(p.ledger.size()).toBe(60)
    const stats = peers.map((p) => p.mesh.stats())
    expect(stats.reduce((n, s) => n + s.faults.dropped, 0)).toBeGreaterThan(0)
    expect(stats.reduce((n, s) => n + s.faults.duplicated, 0)).toBeGreaterThan(0)
    // Sync, not gossip, delivered the dropped events.
    expect(stats.reduce((n, s) => n + s.syncs.eventsAccepted, 0)).toBeGreaterThan(0)
  })
})
